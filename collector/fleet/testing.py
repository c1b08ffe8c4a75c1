"""Helpers for fleet tests (collector, uplink and process tests alike).

Owns: a collector config with an admin token file and short heartbeat
intervals, a minimal valid heartbeat body, and driving real processes
(`yamori …` commands, agents, the admin API of a collector process). Does not own: any production
behaviour.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from collector.config import CollectorConfig
from collector.testing import temp_config

if TYPE_CHECKING:
    from uplink.faults import CollectorProcess

ADMIN_TOKEN = "admin-test-token"


def fleet_config(tmp_path: Path, **overrides: Any) -> CollectorConfig:
    """A temp collector config whose admin API takes ADMIN_TOKEN."""
    admin_file = tmp_path / "admin.token"
    admin_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")
    return replace(temp_config(tmp_path), **{"admin_token_file": str(admin_file), **overrides})


def admin_headers(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def heartbeat_body(sensor_id: str, sent_at: datetime | str | None = None,
                   **fields: Any) -> dict[str, Any]:
    """A valid heartbeat; `fields` override top-level keys."""
    body: dict[str, Any] = {
        "schema": 1, "sensor_id": sensor_id,
        "sent_at": sent_at if isinstance(sent_at, str) else (sent_at or datetime.now(UTC))
        .isoformat(), "interval": 60.0,
        "version": "0.1.0", "uptime": 12.5, "rules_version": "2024.05.01-1",
        "packets": 1000, "drops": 3,
        "counters": {"queued": 7, "sent": 10, "acknowledged": 10, "evicted": 2,
                     "oldest_queued_age": 4.5},
        "engine": {"engine": "builtin", "mode": "in-process"},
        "host": {"cpu_percent": 12.0, "memory_percent": 40.0, "disk_percent": 20.0,
                 "temperature_c": 51.5},
    }
    body.update(fields)
    return body


# -- real processes on loopback (tests/fleet) ------------------------------------------


def run_yamori(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `yamori ARGS…` as its own process; fails the caller's test on a non-zero exit."""
    from uplink.faults import yamori_command

    done = subprocess.run([*yamori_command(), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise AssertionError(f"yamori {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}\n{done.stderr}")
    return done


def enroll_box(collector: CollectorProcess, box: Path, hostname: str,
               tenant: str = "tanaka-kogyo") -> Path:
    """`yamori collector enroll-token` then `yamori enroll`: the agent config it wrote."""
    token = run_yamori("collector", "enroll-token", "--config", str(collector.config_path()),
                       "--tenant", tenant).stdout.strip()
    config = box / "agent.toml"
    run_yamori("enroll", "--collector", collector.url, "--token", token, "--config",
               str(config), "--data-dir", str(box / "data"), "--hostname", hostname)
    return config


def start_agent(config: Path, pcap: Path, log: Path) -> subprocess.Popen[bytes]:
    """The real agent (`yamori agent run`, builtin engine) replaying `pcap` in real time."""
    from uplink.faults import yamori_command

    env = dict(os.environ, YAMORI_AGENT__ENGINE__ENGINE="builtin",
               YAMORI_AGENT__METRICS__ENABLED="false")
    with log.open("ab") as out:
        return subprocess.Popen([*yamori_command(), "agent", "run", "--config", str(config),
                                 "--pcap", str(pcap), "--realtime"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM (the agent drains), then SIGKILL after `timeout`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sensor_board(url: str) -> dict[str, dict[str, Any]]:
    """GET /api/v1/sensors with the admin token, by sensor id."""
    answer = requests.get(url + "/api/v1/sensors", headers=admin_headers(), timeout=5)
    answer.raise_for_status()
    return {s["sensor_id"]: s for s in answer.json()["sensors"]}


def feed(url: str, **params: Any) -> list[dict[str, Any]]:
    """GET /api/v1/alerts with the admin token."""
    answer = requests.get(url + "/api/v1/alerts", params=params, headers=admin_headers(),
                          timeout=5)
    answer.raise_for_status()
    alerts: list[dict[str, Any]] = answer.json()["alerts"]
    return alerts


def wait_for(check: Callable[[], bool], timeout: float, what: str = "condition") -> float:
    """Seconds until `check()` held; raises AssertionError after `timeout`."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - began
