"""Ingest keeps the latest AgentCounters per sensor: backlog, lag and loss for the SOC."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.main import create_app
from collector.repo.counters import DeliveryHealth, delivery_health
from collector.state import AppState
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(temp_config(tmp_path))) as test_client:
        yield test_client


@pytest.fixture
def token(client: TestClient) -> str:
    return enroll(client.app)  # type: ignore[arg-type]


def post(client: TestClient, token: str, counters: dict[str, Any] | None) -> Any:
    body = sample_batch([sample_alert()])
    if counters is not None:
        body["counters"] = counters
    return client.post(BATCHES_PATH, json=body, headers={"Authorization": f"Bearer {token}"})


def health(client: TestClient, sensor_id: str = "pi-001") -> DeliveryHealth | None:
    state: AppState = client.app.state.collector  # type: ignore[attr-defined]
    with state.database.session() as session:
        return delivery_health(session, sensor_id)


def test_no_report_means_no_health(client: TestClient, token: str) -> None:
    assert post(client, token, None).status_code == 200
    assert health(client) is None


def test_backlog_lag_and_lost_come_from_the_latest_counters(client: TestClient,
                                                            token: str) -> None:
    post(client, token, {"queued": 900, "sent": 10, "acknowledged": 5, "evicted": 3,
                         "poison": 2, "corrupt": 1, "oldest_queued_age": 42.5})
    got = health(client)
    assert got is not None
    assert (got.backlog, got.lag_seconds, got.lost, got.corrupt_queues) == (900, 42.5, 5, 1)


def test_a_newer_report_replaces_the_older(client: TestClient, token: str) -> None:
    post(client, token, {"queued": 900, "evicted": 3})
    post(client, token, {"queued": 0, "evicted": 4, "duplicates": 7})
    got = health(client)
    assert got is not None
    assert (got.backlog, got.lost, got.lag_seconds) == (0, 4, 0.0)
    assert got.counters["duplicates"] == 7


def test_counters_from_an_older_agent_are_accepted(client: TestClient, token: str) -> None:
    assert post(client, token, {"queued": 1, "sent": 1, "acknowledged": 0,
                                "evicted": 0}).status_code == 200
    got = health(client)
    assert got is not None and got.lost == 0


def test_non_numeric_counter_is_refused_naming_the_field(client: TestClient, token: str) -> None:
    answer = post(client, token, {"queued": "many"})
    assert answer.status_code == 422
    assert "counters.queued" in answer.json()["error"]
