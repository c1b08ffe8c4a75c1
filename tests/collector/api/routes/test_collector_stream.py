"""GET /api/v1/alerts/stream: server-sent events over a real loopback socket.

TestClient buffers whole responses, so an endless stream is read from a
collector served by uvicorn on 127.0.0.1 instead. The stream needs a signed-in
user: the tests sign in as an analyst through the dependency override.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.testing import (
    LiveCollector,
    enroll,
    sample_alert,
    sample_batch,
    serve_in_thread,
    temp_config,
)
from uplink.schema import BATCHES_PATH

STREAM = "/api/v1/alerts/stream"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveCollector]:
    with serve_in_thread(temp_config(tmp_path)) as collector:
        collector.app.dependency_overrides[current_user] = lambda: Principal("aiko", "analyst")
        yield collector


def post_later(live: LiveCollector, token: str, alerts: list[dict[str, Any]]) -> None:
    def send() -> None:
        time.sleep(0.3)  # after the stream has taken its starting cursor
        httpx.post(live.url + BATCHES_PATH, json=sample_batch(alerts),
                   headers={"Authorization": f"Bearer {token}"}, timeout=5).raise_for_status()

    threading.Thread(target=send, daemon=True).start()


def read_events(response: httpx.Response, want: int, timeout: float = 10.0) -> list[dict[str, str]]:
    """Parse SSE frames until `want` alert events (or a heartbeat when want is 0)."""
    events: list[dict[str, str]] = []
    frame: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    for line in response.iter_lines():
        assert time.monotonic() < deadline, "stream produced nothing in time"
        if line.startswith(":"):
            events.append({"comment": line})
        elif line:
            key, _, value = line.partition(": ")
            frame[key] = value
        elif frame:
            events.append(frame)
            frame = {}
        alerts = [e for e in events if e.get("event") == "alert"]
        if (want and len(alerts) >= want) or (not want and any("comment" in e for e in events)):
            return events
    return events


def test_stream_requires_a_signed_in_user(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as anonymous:
        answer = httpx.get(anonymous.url + STREAM, timeout=10)
    assert answer.status_code == 401


def test_new_alert_is_streamed(live: LiveCollector) -> None:
    token = enroll(live.app)
    alert = sample_alert(7)
    with httpx.stream("GET", live.url + STREAM, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        post_later(live, token, [alert])
        events = [e for e in read_events(response, 1) if e.get("event") == "alert"]
    record = json.loads(events[0]["data"])
    assert record["alert_id"] == alert["alert_id"]
    assert record["tenant"] == "tanaka-kogyo"
    assert events[0]["id"] == str(record["id"])


def test_stream_applies_filters(live: LiveCollector) -> None:
    token = enroll(live.app)
    minor = sample_alert(1)
    minor["alert"]["severity"] = 3
    major = sample_alert(2)
    with httpx.stream("GET", live.url + STREAM, params={"min_severity": 1},
                      timeout=10) as response:
        post_later(live, token, [minor, major])
        events = [e for e in read_events(response, 1) if e.get("event") == "alert"]
    assert [json.loads(e["data"])["alert_id"] for e in events] == [major["alert_id"]]


def test_last_event_id_resumes_after_that_id(live: LiveCollector) -> None:
    token = enroll(live.app)
    alerts = [sample_alert(1), sample_alert(2), sample_alert(3)]
    httpx.post(live.url + BATCHES_PATH, json=sample_batch(alerts),
               headers={"Authorization": f"Bearer {token}"}, timeout=5).raise_for_status()
    with httpx.stream("GET", live.url + STREAM, headers={"Last-Event-ID": "1"},
                      timeout=10) as response:
        events = [e for e in read_events(response, 2) if e.get("event") == "alert"]
    assert [e["id"] for e in events] == ["2", "3"]


def test_idle_stream_sends_heartbeats(live: LiveCollector) -> None:
    with httpx.stream("GET", live.url + STREAM, timeout=10) as response:
        events = read_events(response, 0)
    assert any(e.get("comment") == ": heartbeat" for e in events)
