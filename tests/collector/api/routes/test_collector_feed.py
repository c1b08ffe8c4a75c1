"""GET /api/v1/alerts: order, filters, cursors and paging, as a signed-in analyst."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.main import create_app
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH

FEED = "/api/v1/alerts"


def alert(n: int, sid: int = 2019401, severity: int = 1, minute: int = 13) -> dict[str, Any]:
    record = sample_alert(n, timestamp=f"2024-05-01T02:{minute:02d}:00.000000+0900")
    record["alert"].update(signature_id=sid, severity=severity)
    return record


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(temp_config(tmp_path, page_size_max=3))
    app.dependency_overrides[current_user] = lambda: Principal("aiko", "analyst")
    with TestClient(app) as test_client:
        pi1 = enroll(app, "pi-001", "tanaka-kogyo")
        pi2 = enroll(app, "pi-002", "suzuki-shoten")
        send(test_client, pi1, "pi-001", [alert(1, severity=1, minute=10),
                                          alert(2, severity=2, minute=11),
                                          alert(3, sid=2000001, severity=3, minute=12)])
        send(test_client, pi2, "pi-002", [alert(4, severity=2, minute=13)])
        yield test_client


def send(client: TestClient, token: str, sensor: str, alerts: list[dict[str, Any]]) -> None:
    answer = client.post(BATCHES_PATH, json=sample_batch(alerts, sensor_id=sensor),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


def ids(client: TestClient, **params: Any) -> list[int]:
    answer = client.get(FEED, params=params)
    assert answer.status_code == 200, answer.text
    return [a["id"] for a in answer.json()["alerts"]]


def test_feed_requires_a_signed_in_user(tmp_path: Path) -> None:
    with TestClient(create_app(temp_config(tmp_path))) as anonymous:
        answer = anonymous.get(FEED)
    assert answer.status_code == 401


def test_newest_first_by_default(client: TestClient) -> None:
    assert ids(client, limit=3) == [4, 3, 2]


def test_limit_is_capped_at_page_size_max(client: TestClient) -> None:
    assert len(ids(client, limit=100)) == 3


def test_records_carry_full_eve_and_collector_fields(client: TestClient) -> None:
    first = client.get(FEED, params={"limit": 1}).json()["alerts"][0]
    assert (first["id"], first["sensor_id"], first["tenant"]) == (4, "pi-002", "suzuki-shoten")
    assert first["alert"]["signature"] == "ET POLICY Suspicious beacon"
    assert first["tls"] == {"sni": "c2.example"}
    assert first["alert_id"].startswith("a-000004-")


def test_before_id_pages_backwards(client: TestClient) -> None:
    page = client.get(FEED, params={"limit": 2}).json()
    assert page["next_before_id"] == 3
    rest = client.get(FEED, params={"limit": 2, "before_id": page["next_before_id"]}).json()
    assert [a["id"] for a in rest["alerts"]] == [2, 1]


def test_last_page_has_no_next_before_id(client: TestClient) -> None:
    assert client.get(FEED, params={"before_id": 2}).json()["next_before_id"] is None


def test_after_id_is_ascending_from_the_cursor(client: TestClient) -> None:
    assert ids(client, after_id=1) == [2, 3, 4]


def test_after_id_answers_the_next_cursor(client: TestClient) -> None:
    assert client.get(FEED, params={"after_id": 2}).json()["next_after_id"] == 4


def test_min_severity_keeps_that_severity_and_more_severe(client: TestClient) -> None:
    assert ids(client, min_severity=2) == [4, 2, 1]


def test_min_severity_one_keeps_only_the_most_severe(client: TestClient) -> None:
    assert ids(client, min_severity=1) == [1]


def test_sensor_filter(client: TestClient) -> None:
    assert ids(client, sensor="pi-002") == [4]


def test_tenant_filter(client: TestClient) -> None:
    assert ids(client, tenant="tanaka-kogyo") == [3, 2, 1]


def test_sid_filter(client: TestClient) -> None:
    assert ids(client, sid=2000001) == [3]


def test_since_accepts_iso_time_on_event_time(client: TestClient) -> None:
    assert ids(client, since="2024-05-01T02:12:00+09:00") == [4, 3]


def test_since_accepts_epoch_seconds(client: TestClient) -> None:
    # 2024-05-01T02:12:00+09:00
    assert ids(client, since="1714497120") == [4, 3]


def test_bad_since_is_422(client: TestClient) -> None:
    answer = client.get(FEED, params={"since": "last tuesday"})
    assert answer.status_code == 422
    assert "since" in answer.json()["error"]


def test_bad_limit_is_422_in_the_error_shape(client: TestClient) -> None:
    answer = client.get(FEED, params={"limit": 0})
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("query.limit")


def test_filters_combine(client: TestClient) -> None:
    assert ids(client, sensor="pi-001", min_severity=2, after_id=1) == [2]
