"""agent.metrics: the queue's accounting scraped over HTTP from 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from agent.buffer.store import AlertQueue
from agent.metrics import register_queue_metrics, start_metrics_server


def rec(n: int, severity: int = 3) -> dict[str, object]:
    return {"alert_id": f"id-{n:04d}", "event_type": "alert", "alert": {"severity": severity}}


@pytest.fixture
def queue(tmp_path: Path):
    q = AlertQueue(tmp_path / "q.db")
    yield q
    q.close()


def scrape(url: str) -> dict[str, float]:
    text = requests.get(url, timeout=5).text
    return {s.name: s.value for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.fixture
def served(queue: AlertQueue):
    registry = CollectorRegistry()
    register_queue_metrics(registry, queue)
    server = start_metrics_server(registry, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.port}/metrics"
    server.close()


def test_endpoint_binds_loopback_by_default() -> None:
    import inspect

    from agent.metrics import DEFAULT_HOST
    assert DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(start_metrics_server).parameters["host"].default == "127.0.0.1"


def test_scrape_shows_queue_depth_and_appended(queue: AlertQueue, served: str) -> None:
    queue.append([rec(1), rec(2)])
    values = scrape(served)
    assert values["yamori_agent_alerts_queued_total"] == 2
    assert values["yamori_agent_queue_depth"] == 2
    assert values["yamori_agent_queue_bytes"] == queue.queue_bytes()
    assert values["yamori_agent_queue_oldest_age_seconds"] >= 0


def test_scrape_shows_ack_sent_duplicates(queue: AlertQueue, served: str) -> None:
    queue.append([rec(1), rec(2)])
    queue.ack([x.seq for x in queue.lease(2, 10**6)], sent=4, duplicates=1)
    values = scrape(served)
    assert values["yamori_agent_alerts_acknowledged_total"] == 2
    assert values["yamori_agent_alerts_sent_total"] == 4
    assert values["yamori_agent_alerts_duplicates_total"] == 1
    assert values["yamori_agent_queue_depth"] == 0


def test_scrape_shows_evictions_and_poison(tmp_path: Path) -> None:
    with AlertQueue(tmp_path / "small.db", max_depth=1) as q:
        q.append([rec(1), rec(2)])
        q.move_to_poison([q.lease(1, 10**6)[0].seq], "bad")
        registry = CollectorRegistry()
        register_queue_metrics(registry, q)
        server = start_metrics_server(registry, "127.0.0.1", 0)
        try:
            values = scrape(f"http://127.0.0.1:{server.port}/metrics")
        finally:
            server.close()
    assert values["yamori_agent_alerts_evicted_total"] == 1
    assert values["yamori_agent_alerts_poison_total"] == 1


def test_registries_are_independent(tmp_path: Path, queue: AlertQueue) -> None:
    a, b = CollectorRegistry(), CollectorRegistry()
    register_queue_metrics(a, queue)
    assert b.get_sample_value("yamori_agent_queue_depth") is None
    assert a.get_sample_value("yamori_agent_queue_depth") == 0


def test_closed_queue_does_not_break_scrape(tmp_path: Path) -> None:
    q = AlertQueue(tmp_path / "gone.db")
    registry = CollectorRegistry()
    register_queue_metrics(registry, q)
    q.close()
    assert registry.get_sample_value("yamori_agent_queue_depth") is None
