"""HeartbeatSender against a real collector on loopback; engine fields; host sampling."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from collector.fleet.testing import fleet_config
from collector.models import SensorStatus
from collector.state import AppState
from collector.testing import LiveCollector, enroll, serve_in_thread
from uplink.heartbeat import HeartbeatSender, HostSampler, engine_fields
from yamori.errors import UplinkRejected, UplinkUnavailable


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveCollector]:
    with serve_in_thread(fleet_config(tmp_path, heartbeat_interval_seconds=1.5)) as collector:
        yield collector


def collect() -> dict[str, Any]:
    return {"rules_version": "r1", "packets": 10, "drops": 0,
            "counters": {"queued": 3, "sent": 5, "acknowledged": 5, "evicted": 0}}


def status(live: LiveCollector, sensor_id: str = "pi-001") -> SensorStatus | None:
    state: AppState = live.app.state.collector
    with state.database.session() as session:
        return session.get(SensorStatus, sensor_id)


def test_beat_once_is_stored_and_answered(live: LiveCollector) -> None:
    sender = HeartbeatSender(live.url, enroll(live.app), "pi-001", collect, interval=60)
    answer = sender.beat_once()
    assert answer.ruleset is None and abs(answer.clock_skew or 0) < 5
    stored = status(live)
    assert stored is not None and stored.rules_version == "r1"


def test_sender_adopts_the_collectors_interval(live: LiveCollector) -> None:
    sender = HeartbeatSender(live.url, enroll(live.app), "pi-001", collect, interval=60)
    sender.beat_once()
    assert sender.interval == 1.5


def test_wrong_token_is_rejected(live: LiveCollector) -> None:
    enroll(live.app)
    sender = HeartbeatSender(live.url, "not-the-token", "pi-001", collect)
    with pytest.raises(UplinkRejected) as info:
        sender.beat_once()
    assert info.value.status == 401


def test_unreachable_collector_is_unavailable() -> None:
    sender = HeartbeatSender("http://127.0.0.1:9", "t", "pi-001", collect, timeout=1)
    with pytest.raises(UplinkUnavailable):
        sender.beat_once()


def test_a_given_session_is_used(live: LiveCollector) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {enroll(live.app)}"
    sender = HeartbeatSender(session, None, "pi-001", collect, base_url=live.url)
    sender.beat_once()
    assert status(live) is not None


def test_session_without_base_url_is_an_error() -> None:
    with pytest.raises(ValueError):
        HeartbeatSender(requests.Session(), None, "pi-001", collect)


def test_run_beats_until_stopped_and_survives_a_failing_collect(live: LiveCollector) -> None:
    calls = {"n": 0}

    def flaky() -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("collect bug")
        return collect()

    sender = HeartbeatSender(live.url, enroll(live.app), "pi-001", flaky, interval=1)
    stop = threading.Event()
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while status(live) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and status(live) is not None and calls["n"] >= 2


def test_engine_fields_take_kernel_counters_first() -> None:
    fields = engine_fields({"engine": "suricata"},
                           {"capture.kernel_packets": 100, "capture.kernel_drops": 4,
                            "decoder.pkts": 96})
    assert (fields["packets"], fields["drops"]) == (100, 4)
    assert fields["engine"] == {"engine": "suricata"}


def test_engine_fields_of_the_builtin_engine() -> None:
    fields = engine_fields({"engine": "builtin"}, {"decoder.pkts": 7, "degraded": False})
    assert (fields["packets"], fields["drops"]) == (7, None)


def test_host_sampler_reads_proc_and_thermal(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "stat").write_text("cpu  100 0 100 800 0 0 0 0 0 0\n")
    (proc / "meminfo").write_text("MemTotal: 1000 kB\nMemAvailable: 250 kB\n")
    zone = tmp_path / "thermal_zone0"
    zone.mkdir()
    (zone / "temp").write_text("51500\n")
    sampler = HostSampler(tmp_path, proc=proc, thermal_glob=str(tmp_path / "thermal_zone*/temp"))
    (proc / "stat").write_text("cpu  150 0 150 900 0 0 0 0 0 0\n")  # 100 busy of 200
    sample = sampler.sample()
    assert sample["cpu_percent"] == 50.0 and sample["memory_percent"] == 75.0
    assert sample["temperature_c"] == 51.5 and sample["disk_percent"] is not None


def test_host_sampler_without_proc_gives_nones(tmp_path: Path) -> None:
    sampler = HostSampler(tmp_path / "missing", proc=tmp_path / "no-proc",
                          thermal_glob=str(tmp_path / "none*"))
    sample = sampler.sample()
    assert sample["cpu_percent"] is None and sample["memory_percent"] is None
    assert sample["temperature_c"] is None and sample["disk_percent"] is None
