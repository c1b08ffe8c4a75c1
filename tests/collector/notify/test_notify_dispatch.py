"""Dispatch records: who went on site, when, why, the outcome; by tenant and JST month."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI

from collector.audit import audit_entries
from collector.incidents.models import Incident
from collector.notify.testing import sign_in_as, state

DISPATCH = "/api/v1/incidents/42/dispatch"


@pytest.fixture(autouse=True)
def incidents(app: FastAPI) -> None:
    """Incidents 42 and 43 of tanaka-kogyo and 44 of yamada-shoten to dispatch for."""
    now = datetime(2024, 5, 1, tzinfo=UTC)
    with state(app).database.session() as session:
        for incident_id, tenant in ((42, "tanaka-kogyo"), (43, "tanaka-kogyo"),
                                    (44, "yamada-shoten")):
            session.add(Incident(id=incident_id, tenant=tenant, gid=1, signature_id=2000001,
                                 src_ip="192.168.1.23", dest_ip="203.0.113.9",
                                 signature="ET TROJAN test", category="trojan-activity",
                                 severity=1, count=1, first_seen=now.timestamp(),
                                 last_seen=now.timestamp(), created_at=now, updated_at=now))
        session.commit()


def dispatch(app: FastAPI, incident_id: int = 42, tenant: str = "tanaka-kogyo",
             at: str = "2024-05-01T09:30:00+09:00") -> dict[str, Any]:
    client = sign_in_as(app, "analyst", username="ana")
    answer = client.post(f"/api/v1/incidents/{incident_id}/dispatch",
                         json={"tenant": tenant, "technician": "佐藤（駆け付け班）",
                               "reason": "C2 通信が止まらないため現地で切り離し",
                               "dispatched_at": at})
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_dispatch_is_recorded_and_closed_with_its_outcome(app: FastAPI) -> None:
    created = dispatch(app)
    assert created["dispatched_at"] == "2024-05-01T00:30:00Z"
    assert created["technician"] == "佐藤（駆け付け班）" and created["created_by"] == "ana"
    client = sign_in_as(app, "analyst", username="ana")
    done = client.patch(f"{DISPATCH}/{created['id']}", json={
        "arrived_at": "2024-05-01T10:15:00+09:00", "closed_at": "2024-05-01T11:00:00+09:00",
        "outcome": "感染PCを隔離し、初期化を依頼。他の端末に異常なし。"})
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["arrived_at"] == "2024-05-01T01:15:00Z" and record["outcome"].startswith("感染")
    assert [d["id"] for d in client.get(DISPATCH).json()] == [created["id"]]
    with state(app).database.session() as session:
        actions = [e.action for e in audit_entries(session)]
    assert actions == ["dispatch.update", "dispatch.create"]


def test_arrival_before_dispatch_is_refused(app: FastAPI) -> None:
    created = dispatch(app)
    client = sign_in_as(app, "analyst")
    answer = client.patch(f"{DISPATCH}/{created['id']}",
                          json={"arrived_at": "2024-05-01T08:00:00+09:00"})
    assert answer.status_code == 422 and "arrived_at" in answer.json()["error"]
    assert client.get(DISPATCH).json()[0]["arrived_at"] is None


def test_times_need_an_offset(app: FastAPI) -> None:
    client = sign_in_as(app, "analyst")
    answer = client.post(DISPATCH, json={"tenant": "t", "technician": "x", "reason": "y",
                                         "dispatched_at": "2024-05-01T09:30:00"})
    assert answer.status_code == 422


def test_another_incidents_dispatch_is_not_found(app: FastAPI) -> None:
    created = dispatch(app)
    client = sign_in_as(app, "analyst")
    answer = client.patch(f"/api/v1/incidents/43/dispatch/{created['id']}",
                          json={"outcome": "x"})
    assert answer.status_code == 404


@pytest.mark.parametrize(("incident_id", "tenant"), [(41, "tanaka-kogyo"),
                                                     (44, "tanaka-kogyo")])
def test_dispatch_needs_an_incident_of_that_tenant(app: FastAPI, incident_id: int,
                                                   tenant: str) -> None:
    client = sign_in_as(app, "analyst")
    answer = client.post(f"/api/v1/incidents/{incident_id}/dispatch",
                         json={"tenant": tenant, "technician": "x", "reason": "y"})
    assert answer.status_code == 404


def test_monthly_list_uses_jst_months_and_tenants(app: FastAPI) -> None:
    first_of_may = dispatch(app, at="2024-05-01T01:00:00+09:00")  # 2024-04-30 in UTC
    dispatch(app, at="2024-04-30T23:59:00+09:00")
    dispatch(app, incident_id=44, tenant="yamada-shoten", at="2024-05-10T10:00:00+09:00")
    client = sign_in_as(app, "analyst")
    may = client.get("/api/v1/dispatches", params={"tenant": "tanaka-kogyo", "month": "2024-05"})
    assert [d["id"] for d in may.json()] == [first_of_may["id"]]
    assert len(client.get("/api/v1/dispatches", params={"month": "2024-05"}).json()) == 2
    assert client.get("/api/v1/dispatches", params={"month": "2024-13"}).status_code == 422


@pytest.mark.parametrize(("method", "path"), [
    ("post", DISPATCH), ("get", DISPATCH), ("patch", DISPATCH + "/1"),
    ("get", "/api/v1/dispatches"),
])
def test_customer_viewer_gets_403(app: FastAPI, method: str, path: str) -> None:
    dispatch(app)
    customer = sign_in_as(app, "customer", tenant="tanaka-kogyo")
    body = {"outcome": "x"} if method != "get" else None
    assert customer.request(method, path, json=body).status_code == 403
