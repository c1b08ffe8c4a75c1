"""GET /healthz and GET /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from collector.db import Database
from collector.main import create_app
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(temp_config(tmp_path))) as test_client:
        yield test_client


def test_healthz_reports_db_ok(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok", "db": "ok"})


def test_healthz_is_503_when_db_is_gone(client: TestClient) -> None:
    # A database file that can never be opened stands in for a dead server.
    dead = create_engine("sqlite:////proc/yamori-no-such-dir/collector.sqlite")
    client.app.state.collector.database = Database(dead, sessionmaker(dead))  # type: ignore[attr-defined]
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["db"] == "error"


def test_metrics_has_every_counter(client: TestClient) -> None:
    text = client.get("/metrics").text
    for name in ("yamori_collector_ingest_batches_total", "yamori_collector_alerts_stored_total",
                 "yamori_collector_alerts_duplicate_total",
                 'yamori_collector_ingest_rejected_total{reason="unauthorized"}',
                 "yamori_collector_sensors "):
        assert name in text, name


def test_metrics_count_ingest_and_duplicates(client: TestClient) -> None:
    token = enroll(client.app)  # type: ignore[arg-type]
    batch = sample_batch([sample_alert(1), sample_alert(2)])
    for _ in range(2):
        client.post(BATCHES_PATH, json=batch, headers={"Authorization": f"Bearer {token}"})
    text = client.get("/metrics").text
    assert "yamori_collector_ingest_batches_total 2.0" in text
    assert "yamori_collector_alerts_stored_total 2.0" in text
    assert "yamori_collector_alerts_duplicate_total 2.0" in text
    assert "yamori_collector_sensors 1.0" in text


def test_metrics_count_rejections_by_reason(client: TestClient) -> None:
    client.post(BATCHES_PATH, json=sample_batch([]))
    text = client.get("/metrics").text
    assert 'yamori_collector_ingest_rejected_total{reason="unauthorized"} 1.0' in text


def test_two_apps_in_one_process_keep_their_own_metrics(tmp_path: Path) -> None:
    other = create_app(temp_config(tmp_path / "other"))
    with TestClient(other) as second:
        second.post(BATCHES_PATH, json=sample_batch([]))
        assert 'reason="unauthorized"} 1.0' in second.get("/metrics").text
