"""Offline detection across collector processes on one database: exactly once, and a takeover.

Real `yamori collector serve` processes on loopback, on SQLite and on
PostgreSQL. Sensors time out fast (0.5 s interval, offline after 1.5 s of
silence) and every process checks every 0.2 s, so duplicates would show.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from collector.fleet.events import SENSOR_OFFLINE, SENSOR_RECOVERED
from collector.fleet.testing import heartbeat_body
from uplink.schema import HEARTBEAT_PATH

FAST = {"heartbeat_interval_seconds": 0.5, "heartbeat_late_factor": 2.0,
        "heartbeat_offline_factor": 3.0, "offline_check_seconds": 0.2}
SETTLE = 3.0  # offline after 1.5 s, plus a few passes of every process


def beat(cluster: Any, url: str, sensor_id: str, token: str) -> None:
    httpx.post(url + HEARTBEAT_PATH, json=heartbeat_body(sensor_id), timeout=10,
               headers=cluster.sensor_headers(token)).raise_for_status()


def offline_events(cluster: Any, sensor_id: str) -> int:
    return int(cluster.count(SENSOR_OFFLINE.sid, sensor_id))


def test_two_processes_raise_each_event_once_and_survive_the_leader(
        backend_url: str, make_cluster: Any) -> None:
    cluster = make_cluster(backend_url, **FAST)
    tokens = {s: cluster.enroll(s) for s in ("pi-001", "pi-002", "pi-003")}
    first = cluster.start("a")
    beat(cluster, first.url, "pi-001", tokens["pi-001"])
    assert cluster.wait_until(lambda: offline_events(cluster, "pi-001") == 1, 10)

    second = cluster.start("b")
    # pi-001 comes back (one recovery) and both fall silent with both processes running.
    beat(cluster, second.url, "pi-001", tokens["pi-001"])
    beat(cluster, second.url, "pi-002", tokens["pi-002"])
    assert cluster.wait_until(lambda: offline_events(cluster, "pi-002") == 1, 10)
    time.sleep(SETTLE)
    assert cluster.count(SENSOR_RECOVERED.sid, "pi-001") == 1
    assert offline_events(cluster, "pi-001") == 2  # one per episode
    assert offline_events(cluster, "pi-002") == 1

    first.kill()  # the leader: it has led since it ran alone
    beat(cluster, second.url, "pi-003", tokens["pi-003"])
    assert cluster.wait_until(lambda: offline_events(cluster, "pi-003") == 1, 10), \
        "the surviving process did not take over offline detection"
    time.sleep(SETTLE)
    assert offline_events(cluster, "pi-003") == 1


def test_worker_processes_on_one_port_raise_one_event(backend_url: str,
                                                      make_cluster: Any) -> None:
    cluster = make_cluster(backend_url, **FAST)
    token = cluster.enroll("pi-010")
    served = cluster.start("workers", workers=2)
    for _ in range(4):  # new connections: uvicorn's workers share the socket
        beat(cluster, served.url, "pi-010", token)
    assert cluster.wait_until(lambda: offline_events(cluster, "pi-010") == 1, 10)
    time.sleep(SETTLE)
    assert offline_events(cluster, "pi-010") == 1
