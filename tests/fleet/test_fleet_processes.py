"""The fleet with real processes on loopback: a `yamori collector serve` process,
`yamori collector enroll-token` / `yamori enroll` / `yamori collector revoke`
processes, and the real agent (`yamori agent run`, builtin engine replaying a
slow capture in real time) sending heartbeats with the credential and config
`yamori enroll` wrote.

Heartbeat interval 1 s, late after 2 s, offline after 3 s, detector every 0.2 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from collector.fleet.events import SENSOR_OFFLINE, SENSOR_RECOVERED
from collector.fleet.testing import ADMIN_TOKEN, admin_headers
from collector.testing import fresh_database_url
from uplink.faults import CollectorProcess, yamori_command
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


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*yamori_command(), *args], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done


def enroll_box(collector: CollectorProcess, box: Path, hostname: str) -> Path:
    token = run_cli("collector", "enroll-token", "--config", str(collector.config_path()),
                    "--tenant", "tanaka-kogyo").stdout.strip()
    config = box / "agent.toml"
    run_cli("enroll", "--collector", collector.url, "--token", token, "--config", str(config),
            "--data-dir", str(box / "data"), "--hostname", hostname)
    return config


def start_sensor(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """The real agent (`yamori agent run`) on the config `yamori enroll` wrote."""
    pcap = write_tick_capture(config.parent / "slow.pcap", 600)
    env = dict(os.environ, YAMORI_AGENT__ENGINE__ENGINE="builtin",
               YAMORI_AGENT__METRICS__ENABLED="false")
    with log.open("ab") as out:
        return subprocess.Popen([*yamori_command(), "agent", "run", "--config", str(config),
                                 "--pcap", str(pcap), "--realtime"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)


def stop_sensor(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def board(collector: CollectorProcess) -> dict[str, dict[str, Any]]:
    answer = requests.get(collector.url + "/api/v1/sensors", headers=admin_headers(), timeout=5)
    answer.raise_for_status()
    return {s["sensor_id"]: s for s in answer.json()["sensors"]}


def fleet_sids(collector: CollectorProcess, sensor_id: str) -> list[int]:
    answer = requests.get(collector.url + "/api/v1/alerts", params={"sensor": sensor_id},
                          headers=admin_headers(), timeout=5)
    return [a["alert"]["signature_id"] for a in answer.json()["alerts"]]


def wait_for(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until `check()` held; fails after `timeout`."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - began


def test_enrolled_sensor_heartbeats_and_revocation_refuses_it(collector: CollectorProcess,
                                                              tmp_path: Path) -> None:
    config = enroll_box(collector, tmp_path / "box", "pi-tanaka")
    sensor = start_sensor(config, tmp_path / "sensor.log")
    try:
        wait_for(lambda: board(collector).get("pi-tanaka", {}).get("state") == "online", 15)
        entry = board(collector)["pi-tanaka"]
        assert (entry["tenant"], entry["rules_version"]) == ("tanaka-kogyo", shipped_rules_hash())
        run_cli("collector", "revoke", "--config", str(collector.config_path()),
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
        stop_sensor(sensor)
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
    stop_sensor(sensor)  # the power cut
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
        stop_sensor(sensor)
