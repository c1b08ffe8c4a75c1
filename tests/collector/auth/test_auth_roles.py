"""Roles: analysts cannot manage users, customers get 403 on staff endpoints and see one tenant."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.auth.deps import AdminUser, StaffUser
from collector.auth.principal import Principal
from collector.auth.testing import PASSWORD, sign_in
from collector.testing import enroll, sample_alert, sample_batch
from uplink.schema import BATCHES_PATH


@pytest.fixture
def staff_route(app: FastAPI) -> str:
    """A staff-only endpoint, as the triage routes declare theirs."""

    @app.get("/test-staff")
    def staff_only(user: StaffUser) -> dict[str, str]:
        return {"user": user.username}

    @app.get("/test-admin")
    def admin_only(user: AdminUser) -> dict[str, str]:
        return {"user": user.username}

    return "/test-staff"


def test_analyst_cannot_manage_users(client: TestClient) -> None:
    csrf = sign_in(client, "aiko")
    headers = {"X-CSRF-Token": csrf}
    assert client.get("/api/v1/users").status_code == 403
    assert client.post("/api/v1/users", headers=headers, json={
        "username": "mine", "password": PASSWORD, "role": "admin"}).status_code == 403
    assert client.patch("/api/v1/users/aiko", headers=headers,
                        json={"role": "admin"}).status_code == 403
    assert client.get("/api/v1/audit").status_code == 403


def test_customer_gets_403_on_staff_and_admin_endpoints(client: TestClient,
                                                        staff_route: str) -> None:
    sign_in(client, "tanaka")
    assert client.get(staff_route).status_code == 403
    assert client.get("/test-admin").status_code == 403
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403


def test_staff_endpoints_admit_analysts_and_admins(client: TestClient, other_client: TestClient,
                                                   staff_route: str) -> None:
    sign_in(client, "aiko")
    sign_in(other_client, "root")
    assert client.get(staff_route).json() == {"user": "aiko"}
    assert other_client.get(staff_route).json() == {"user": "root"}
    assert client.get("/test-admin").status_code == 403
    assert other_client.get("/test-admin").status_code == 200


def test_customer_feed_page_shows_only_its_tenant(app: FastAPI, client: TestClient) -> None:
    for sensor, tenant, signature in (("pi-001", "tanaka-kogyo", "ET MINE beacon"),
                                      ("pi-002", "sato-shoji", "ET THEIRS beacon")):
        token = enroll(app, sensor, tenant)
        alert = sample_alert(1)
        alert["alert"] = dict(alert["alert"], signature=signature)
        client.post(BATCHES_PATH, json=sample_batch([alert], sensor_id=sensor),
                    headers={"Authorization": f"Bearer {token}"})
    sign_in(client, "tanaka")
    page = client.get("/").text
    assert "ET MINE beacon" in page and "ET THEIRS beacon" not in page
    assert client.get("/", params={"tenant": "sato-shoji"}).status_code == 403
    assert "ET MINE beacon" in client.get("/", params={"tenant": "tanaka-kogyo"}).text


def test_staff_feed_page_shows_every_tenant(app: FastAPI, client: TestClient) -> None:
    for sensor, tenant in (("pi-001", "tanaka-kogyo"), ("pi-002", "sato-shoji")):
        token = enroll(app, sensor, tenant)
        client.post(BATCHES_PATH, json=sample_batch([sample_alert(1)], sensor_id=sensor),
                    headers={"Authorization": f"Bearer {token}"})
    sign_in(client, "aiko")
    page = client.get("/").text
    assert "tanaka-kogyo" in page and "sato-shoji" in page


def test_principal_tenant_rule() -> None:
    assert Principal("a", "analyst").tenant_scope() is None
    assert Principal("c", "customer", "tanaka-kogyo").tenant_scope() == "tanaka-kogyo"
