"""Store-and-forward under faults: real collector and agent processes, real files, loopback only.

Every packet of the generated pcap raises exactly one alert and carries its
index in src_port, so "the alerts the engine raised" is range(N) and each
test asserts the collector holds exactly that set, once each (one row per
alert), minus only evictions the agent counted.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.buffer.group import GroupCommitter
from agent.buffer.store import AlertQueue
from uplink.client import UplinkClient
from uplink.faults import (
    BASE_PORT,
    CUT,
    DROP,
    PASS,
    STALL,
    CollectorProcess,
    FaultyProxy,
    agent_config,
    fault_rules,
    free_port,
    queue_counters,
    sigkill,
    start_agent,
    write_alert_pcap,
)
from uplink.ids import new_alert_id
from uplink.shipper import Shipper


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    proc = CollectorProcess(tmp_path_factory.mktemp("collector"))
    proc.config_path()
    proc.start()
    yield proc
    proc.stop()


def raised(n: int) -> list[int]:
    return [BASE_PORT + i for i in range(n)]


def assert_exactly_once(collector: CollectorProcess, sensor_id: str, n: int) -> None:
    ports = collector.stored_src_ports(sensor_id)
    assert len(ports) == len(set(ports)), "an alert was stored twice"
    assert sorted(ports) == raised(n), "an alert was lost"


def setup_agent(tmp: Path, url: str, token: str, sensor_id: str, n: int,
                **kw: float) -> Path:
    pcap = write_alert_pcap(tmp / "alerts.pcap", n, severities=(1, 2, 3, 4))
    rules = fault_rules(tmp / "fault.rules")
    return agent_config(tmp / "agent.toml", data_dir=tmp / "data", pcap=pcap, rules=rules,
                        url=url, token=token, sensor_id=sensor_id, **kw)  # type: ignore[arg-type]


def test_collector_down_for_several_retry_rounds(tmp_path: Path) -> None:
    col = CollectorProcess(tmp_path / "collector")
    token = col.enroll("outage-1")
    cfg = setup_agent(tmp_path, col.url, token, "outage-1", 300)
    agent = start_agent(cfg, drain_timeout=60, log=tmp_path / "agent.log")
    try:
        time.sleep(3.0)  # connection refused, several backoff rounds
        assert agent.poll() is None
        col.start()
        assert agent.wait(timeout=60) == 0
        assert_exactly_once(col, "outage-1", 300)
        counters = queue_counters(tmp_path / "data")
        assert (counters["appended"], counters["acked"], counters["evicted"]) == (300, 300, 0)
    finally:
        sigkill(agent)
        col.stop()


def test_proxy_drops_stalls_and_cuts_after_store(tmp_path: Path,
                                                 collector: CollectorProcess) -> None:
    token = collector.enroll("proxy-1")
    proxy = FaultyProxy(collector.port, [DROP, PASS, STALL, CUT, PASS, PASS, CUT, PASS],
                        stall_seconds=1.5)
    try:
        cfg = setup_agent(tmp_path, proxy.url, token, "proxy-1", 200, batch_max=40,
                          timeout=1.0)
        agent = start_agent(cfg, drain_timeout=60, log=tmp_path / "agent.log")
        assert agent.wait(timeout=90) == 0
    finally:
        proxy.close()
    assert {CUT, STALL, DROP} <= set(proxy.seen)
    assert_exactly_once(collector, "proxy-1", 200)
    counters = queue_counters(tmp_path / "data")
    # A cut answer means a stored batch was sent again: the collector said "duplicate".
    assert counters["duplicates"] >= 1
    assert counters["duplicates"] == collector.duplicates_answered("proxy-1")
    assert counters["acked"] == 200


def test_sigkill_while_uplinking(tmp_path: Path, collector: CollectorProcess) -> None:
    n, rounds = 1200, 8
    token = collector.enroll("kill-1")
    # Phase 1: raise every alert with the collector unreachable, so all are queued.
    cfg = setup_agent(tmp_path, f"http://127.0.0.1:{free_port()}", token, "kill-1", n)
    assert start_agent(cfg, drain_timeout=0, log=tmp_path / "agent.log").wait(timeout=60) == 1
    assert queue_counters(tmp_path / "data")["appended"] == n
    # Phase 2: uplink from the queue alone (an empty pcap), SIGKILLed at random points.
    empty = write_alert_pcap(tmp_path / "empty.pcap", 0)
    cfg = setup_agent(tmp_path, collector.url, token, "kill-1", n, batch_max=20)
    rng = random.Random(4)
    for _ in range(rounds):
        agent = start_agent(cfg, drain_timeout=60, log=tmp_path / "agent.log", pcap=empty)
        time.sleep(rng.uniform(1.0, 1.9))  # the CLI starts in ~1 s; then it ships
        sigkill(agent)
    agent = start_agent(cfg, drain_timeout=60, log=tmp_path / "agent.log", pcap=empty)
    assert agent.wait(timeout=60) == 0
    assert_exactly_once(collector, "kill-1", n)
    counters = queue_counters(tmp_path / "data")
    assert (counters["appended"], counters["acked"], counters["evicted"]) == (n, n, 0)


def test_corrupt_queue_at_start_is_moved_aside_and_reported(
        tmp_path: Path, collector: CollectorProcess) -> None:
    token = collector.enroll("corrupt-1")
    cfg = setup_agent(tmp_path, collector.url, token, "corrupt-1", 50)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "queue.sqlite").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert start_agent(cfg, drain_timeout=30, log=tmp_path / "agent.log").wait(timeout=60) == 0
    assert_exactly_once(collector, "corrupt-1", 50)
    assert len(list((tmp_path / "data").glob("queue.sqlite.corrupt-*"))) == 1
    assert queue_counters(tmp_path / "data")["corrupt"] == 1
    reported = collector.reported_counters("corrupt-1")
    assert reported is not None and json.loads(reported)["corrupt"] == 1
    assert "unreadable" in (tmp_path / "agent.log").read_text()


def test_quota_reached_during_outage_keeps_most_severe(
        tmp_path: Path, collector: CollectorProcess) -> None:
    token = collector.enroll("quota-1")
    n = 400
    records = [_alert(i, severity=1 + i % 4) for i in range(n)]
    # Outage: nothing can leave, the quota (room for ~150 alerts) forces evictions.
    with AlertQueue(tmp_path / "q.sqlite", max_bytes=150 * 600) as queue:
        with GroupCommitter(queue, max_records=64, max_delay=0.05) as group:
            for record in records:
                group.add(record)
        evicted = queue.counters()["evicted"]
        assert evicted > 0
        client = UplinkClient(collector.url, token, timeout=5)
        assert Shipper(queue, client, "quota-1", max_batch=50).drain(30)
        client.close()
    stored = set(collector.stored_alert_ids("quota-1"))
    raised_ids = {r["alert_id"] for r in records}
    assert stored <= raised_ids
    assert len(raised_ids - stored) == evicted  # lost == counted evictions, exactly
    lost_sev = [r["alert"]["severity"] for r in records if r["alert_id"] not in stored]
    kept_sev = collector.stored_severities("quota-1")
    assert max(kept_sev) <= min(lost_sev)  # the most severe alerts were kept
    assert 1 in kept_sev and kept_sev.count(1) == n // 4
    reported = collector.reported_counters("quota-1")
    assert reported is not None and json.loads(reported)["evicted"] == evicted


def _alert(i: int, severity: int) -> dict[str, object]:
    return {
        "alert_id": new_alert_id(), "sensor_id": "quota-1",
        "timestamp": "2024-05-01T02:13:00.000000+0900", "event_type": "alert",
        "src_ip": "10.10.0.5", "src_port": BASE_PORT + i, "dest_ip": "10.10.0.9",
        "dest_port": 9990 + severity, "proto": "UDP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 1990000 + severity, "rev": 1,
                  "signature": f"sev {severity}", "category": "test", "severity": severity},
        "payload_printable": "x" * 200,
    }
