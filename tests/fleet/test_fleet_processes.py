"""The fleet with real processes on loopback: a `yamori collector serve` process,
`yamori collector enroll-token` / `yamori enroll` / `yamori collector revoke`
processes, and the real agent (`yamori agent run`, builtin engine replaying a
slow capture in real time) sending heartbeats with the credential and config
`yamori enroll` wrote.

Heartbeat interval 1 s, late after 2 s, offline after 3 s, detector every 0.2 s.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from collector.fleet.events import SENSOR_OFFLINE, SENSOR_RECOVERED
from collector.fleet.testing import (
    ADMIN_TOKEN,
    enroll_box,
    feed,
    run_yamori,
    sensor_board,
    start_agent,
    stop_process,
    wait_for,
)
from collector.testing import fresh_database_url
from uplink.faults import CollectorProcess
from uplink.schema import BATCHES_PATH, HEARTBEAT_PATH
from yamori.demo_capture import write_tick_capture

INTERVAL = 1.0
OFFLINE_AFTER = 3 * INTERVAL
CHECK = 0.2

def shipped_rules_hash() -> str:
    """What the agent reports running: the shipped rule files' content hash."""
    import hashlib

    import rules

    data = b"".join(p.read_bytes() for p in rules.shipped_rule_files())
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[CollectorProcess]:
    proc = CollectorProcess(tmp_path / "collector")
    proc.workdir.mkdir(parents=True)
    admin = proc.workdir / "admin.token"
    admin.write_text(ADMIN_TOKEN + "\n")
    (proc.workdir / "collector.toml").write_text(
        f'listen = "127.0.0.1"\nport = {proc.port}\n'
        f'database_url = "{fresh_database_url(proc.db_path.parent, proc.db_path.name)}"\n'
        f'log_level = "WARNING"\n'
        f'admin_token_file = "{admin}"\nheartbeat_interval_seconds = {INTERVAL}\n'
        f'offline_check_seconds = {CHECK}\n')
    proc.start()
    yield proc
    proc.stop()


def start_sensor(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """The real agent on the config `yamori enroll` wrote, replaying a slow capture."""
    return start_agent(config, write_tick_capture(config.parent / "slow.pcap", 600), log)


def board(collector: CollectorProcess) -> dict[str, dict[str, Any]]:
    return sensor_board(collector.url)


def fleet_sids(collector: CollectorProcess, sensor_id: str) -> list[int]:
    return [a["alert"]["signature_id"] for a in feed(collector.url, sensor=sensor_id)]


def test_enrolled_sensor_heartbeats_and_revocation_refuses_it(collector: CollectorProcess,
                                                              tmp_path: Path) -> None:
    config = enroll_box(collector, tmp_path / "box", "pi-tanaka")
    sensor = start_sensor(config, tmp_path / "sensor.log")
    try:
        wait_for(lambda: board(collector).get("pi-tanaka", {}).get("state") == "online", 15)
        entry = board(collector)["pi-tanaka"]
        assert (entry["tenant"], entry["rules_version"]) == ("tanaka-kogyo", shipped_rules_hash())
        run_yamori("collector", "revoke", "--config", str(collector.config_path()),
                "--sensor-id", "pi-tanaka")
        credential = (tmp_path / "box" / "data" / "sensor.token").read_text().strip()
        auth = {"Authorization": f"Bearer {credential}"}
        assert requests.post(collector.url + HEARTBEAT_PATH, json={}, headers=auth,
                             timeout=5).status_code == 401
        assert requests.post(collector.url + BATCHES_PATH, json={}, headers=auth,
                             timeout=5).status_code == 401
        log = tmp_path / "sensor.log"
        wait_for(lambda: "heartbeat refused" in log.read_text(), 10)
        assert board(collector)["pi-tanaka"]["state"] == "revoked"
    finally:
        stop_process(sensor)
    assert credential not in (tmp_path / "sensor.log").read_text()


def test_reenrolled_box_gets_a_new_credential(collector: CollectorProcess,
                                              tmp_path: Path) -> None:
    config = enroll_box(collector, tmp_path / "box", "pi-rotate")
    old = (tmp_path / "box" / "data" / "sensor.token").read_text().strip()
    enroll_box(collector, tmp_path / "box", "pi-rotate")
    new = (tmp_path / "box" / "data" / "sensor.token").read_text().strip()
    assert new != old and config.exists()
    refused = requests.post(collector.url + HEARTBEAT_PATH, json={},
                            headers={"Authorization": f"Bearer {old}"}, timeout=5)
    assert refused.status_code == 401


def test_stopped_sensor_is_offline_within_the_window_and_recovers(collector: CollectorProcess,
                                                                  tmp_path: Path) -> None:
    config = enroll_box(collector, tmp_path / "box", "pi-power")
    sensor = start_sensor(config, tmp_path / "sensor.log")
    wait_for(lambda: board(collector).get("pi-power", {}).get("state") == "online", 15)
    time.sleep(2 * INTERVAL)  # a few regular beats
    stop_process(sensor)  # the power cut
    took = wait_for(lambda: SENSOR_OFFLINE.sid in fleet_sids(collector, "pi-power"), 15)
    # Silence began up to one interval before the stop (the last beat), so the
    # event may come earlier than OFFLINE_AFTER; never later than it plus one check.
    assert took <= OFFLINE_AFTER + CHECK + 1.0, took
    assert board(collector)["pi-power"]["state"] == "offline"
    sensor = start_sensor(config, tmp_path / "sensor2.log")
    try:
        wait_for(lambda: SENSOR_RECOVERED.sid in fleet_sids(collector, "pi-power"), 15)
        assert board(collector)["pi-power"]["state"] == "online"
        assert fleet_sids(collector, "pi-power").count(SENSOR_OFFLINE.sid) == 1
    finally:
        stop_process(sensor)
