"""The live feed across collector processes, and idempotent ingest under cross-process retries.

An SSE client on process A sees an alert posted to process B within 2 s: on
PostgreSQL through LISTEN/NOTIFY (the poll interval is set to 60 s, so only
a notification can deliver it in time), on SQLite by polling. The same batch
sent to two processes at once, many times over, is stored once and both
answers are equal (PostgreSQL).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from collector.testing import sample_alert, sample_batch
from uplink.schema import BATCHES_PATH

STREAM = "/api/v1/alerts/stream"
SID = 2019401


def stream_settings(backend_url: str) -> dict[str, Any]:
    if backend_url.startswith("sqlite"):
        return {"stream_poll_seconds": 0.2, "stream_heartbeat_seconds": 5.0}
    # Far beyond the 2 s budget: an arrival in time proves the NOTIFY woke the stream.
    return {"stream_poll_seconds": 60.0, "stream_heartbeat_seconds": 60.0}


def read_alert_ids(response: httpx.Response, arrived: dict[str, float]) -> None:
    try:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrived[json.loads(line[6:])["alert_id"]] = time.monotonic()
    except (httpx.HTTPError, ValueError):
        pass  # the test closed the stream: it asserts on what arrived before


def test_stream_on_one_process_sees_alerts_posted_to_another(backend_url: str,
                                                             make_cluster: Any) -> None:
    cluster = make_cluster(backend_url, **stream_settings(backend_url))
    token = cluster.enroll("pi-001")
    reader, writer = cluster.start("a"), cluster.start("b")
    arrived: dict[str, float] = {}
    with httpx.Client(timeout=httpx.Timeout(10, read=90)) as client, \
            client.stream("GET", reader.url + STREAM, headers=cluster.admin_headers) as stream:
        assert stream.status_code == 200
        threading.Thread(target=read_alert_ids, args=(stream, arrived), daemon=True).start()
        time.sleep(1.0)  # the stream has taken its starting cursor and is waiting
        delays = []
        for n in range(3):
            alert = sample_alert(n)
            sent = time.monotonic()
            httpx.post(writer.url + BATCHES_PATH, json=sample_batch([alert]), timeout=10,
                       headers=cluster.sensor_headers(token)).raise_for_status()
            assert cluster.wait_until(lambda a=alert: a["alert_id"] in arrived, 5, 0.02), \
                "the alert never reached the other process's stream"
            delays.append(arrived[alert["alert_id"]] - sent)
    assert max(delays) < 2.0, delays


def test_same_batch_to_two_processes_at_once_is_stored_once(pg_url: str,
                                                            make_cluster: Any) -> None:
    cluster = make_cluster(pg_url)
    token = cluster.enroll("pi-001")
    first, second = cluster.start("a"), cluster.start("b")
    rounds, size = 25, 20
    with httpx.Client(timeout=30, headers=cluster.sensor_headers(token)) as client, \
            ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(rounds):
            batch = sample_batch([sample_alert(n) for n in range(size)],
                                 batch_id=uuid.uuid4().hex)
            start = threading.Barrier(2)

            def send(url: str, body: dict[str, Any] = batch,
                     gate: threading.Barrier = start) -> dict[str, Any]:
                gate.wait()
                answer = client.post(url + BATCHES_PATH, json=body)
                answer.raise_for_status()
                return dict(answer.json())

            answers = list(pool.map(send, (first.url, second.url)))
            assert answers[0] == answers[1]
            assert answers[0]["stored"] == size and answers[0]["duplicates"] == 0
    assert cluster.count(SID, "pi-001") == rounds * size


@pytest.mark.parametrize("workers", [2])
def test_stream_through_worker_processes(pg_url: str, make_cluster: Any,
                                         workers: int) -> None:
    cluster = make_cluster(pg_url, **stream_settings(pg_url))
    token = cluster.enroll("pi-001")
    served = cluster.start("workers", workers=workers)
    arrived: dict[str, float] = {}
    with httpx.Client(timeout=httpx.Timeout(10, read=90)) as client, \
            client.stream("GET", served.url + STREAM, headers=cluster.admin_headers) as stream:
        threading.Thread(target=read_alert_ids, args=(stream, arrived), daemon=True).start()
        time.sleep(1.0)
        alerts = [sample_alert(n) for n in range(6)]
        for alert in alerts:  # a new connection each: the workers share them out
            httpx.post(served.url + BATCHES_PATH, json=sample_batch([alert]), timeout=10,
                       headers=cluster.sensor_headers(token)).raise_for_status()
        assert cluster.wait_until(lambda: all(a["alert_id"] in arrived for a in alerts), 2.0,
                                  0.02)
