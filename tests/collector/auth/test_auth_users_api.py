"""The admin user-management API and the audit log it writes."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from collector.audit import AuditEntry
from collector.auth.testing import PASSWORD, sign_in
from collector.fleet.testing import admin_headers
from collector.state import AppState

USERS = "/api/v1/users"
NEW_PASSWORD = "a brand new passphrase"


def as_admin(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": sign_in(client, "root")}


def audit_rows(app: FastAPI) -> list[AuditEntry]:
    state: AppState = app.state.collector
    with state.database.session() as db:
        return list(db.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_admin_creates_a_user_who_can_sign_in(app: FastAPI, client: TestClient,
                                              other_client: TestClient) -> None:
    answer = client.post(USERS, headers=as_admin(client), json={
        "username": "Night.Shift", "password": PASSWORD, "role": "analyst", "language": "en"})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["username"], body["role"], body["tenant"], body["language"],
            body["disabled"]) == ("night.shift", "analyst", None, "en", False)
    assert "password" not in json.dumps(body) and "hash" not in json.dumps(body)
    assert "night.shift" in [u["username"] for u in client.get(USERS).json()["users"]]
    sign_in(other_client, "night.shift")


def test_user_creation_is_audited_without_the_password(app: FastAPI, client: TestClient) -> None:
    client.post(USERS, headers=as_admin(client), json={
        "username": "viewer", "password": PASSWORD, "role": "customer",
        "tenant": "tanaka-kogyo"})
    [entry] = audit_rows(app)
    assert (entry.actor, entry.action, entry.target, entry.tenant) == \
        ("root", "user.create", "user:viewer", "tanaka-kogyo")
    assert json.loads(entry.detail) == {"role": "customer", "tenant": "tanaka-kogyo",
                                        "language": "ja"}
    assert PASSWORD not in entry.detail


def test_invalid_users_are_refused(client: TestClient) -> None:
    headers = as_admin(client)
    cases = [
        ({"username": "aiko", "password": PASSWORD, "role": "analyst"}, 409),
        ({"username": "bad name!", "password": PASSWORD, "role": "analyst"}, 422),
        ({"username": "shorty", "password": "short", "role": "analyst"}, 422),
        ({"username": "samename12345", "password": "samename12345", "role": "analyst"}, 422),
        ({"username": "cust", "password": PASSWORD, "role": "customer"}, 422),
        ({"username": "staff", "password": PASSWORD, "role": "analyst", "tenant": "t"}, 422),
        ({"username": "boss", "password": PASSWORD, "role": "superuser"}, 422),
        ({"username": "x1", "password": PASSWORD, "role": "analyst", "is_root": True}, 422),
        ({"username": "x2", "password": PASSWORD, "role": "analyst", "language": "fr"}, 422),
    ]
    for body, status in cases:
        answer = client.post(USERS, headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert "error" in answer.json()


def test_role_and_tenant_change_is_audited(app: FastAPI, client: TestClient) -> None:
    answer = client.patch(f"{USERS}/aiko", headers=as_admin(client),
                          json={"role": "customer", "tenant": "sato-shoji"})
    assert answer.status_code == 200
    assert (answer.json()["role"], answer.json()["tenant"]) == ("customer", "sato-shoji")
    [entry] = audit_rows(app)
    assert (entry.actor, entry.action, entry.target) == ("root", "user.update", "user:aiko")
    assert json.loads(entry.detail) == {"role": "customer", "tenant": "sato-shoji"}


def test_customer_back_to_analyst_clears_the_tenant_with_null(client: TestClient) -> None:
    headers = as_admin(client)
    assert client.patch(f"{USERS}/tanaka", headers=headers,
                        json={"role": "analyst"}).status_code == 422
    answer = client.patch(f"{USERS}/tanaka", headers=headers,
                          json={"role": "analyst", "tenant": None})
    assert answer.status_code == 200 and answer.json()["tenant"] is None


def test_disabling_a_user_ends_their_sessions(app: FastAPI, client: TestClient,
                                              other_client: TestClient) -> None:
    sign_in(other_client, "aiko")
    answer = client.patch(f"{USERS}/aiko", headers=as_admin(client), json={"disabled": True})
    assert answer.status_code == 200 and answer.json()["disabled"] is True
    assert other_client.get("/api/v1/session").status_code == 401
    assert json.loads(audit_rows(app)[-1].detail) == {"disabled": True}


def test_password_reset_ends_sessions_and_is_audited_redacted(
        app: FastAPI, client: TestClient, other_client: TestClient) -> None:
    sign_in(other_client, "aiko")
    answer = client.patch(f"{USERS}/aiko", headers=as_admin(client),
                          json={"password": NEW_PASSWORD})
    assert answer.status_code == 200
    assert other_client.get("/api/v1/session").status_code == 401
    assert other_client.post("/api/v1/session", json={
        "username": "aiko", "password": PASSWORD}).status_code == 401
    sign_in(other_client, "aiko", NEW_PASSWORD)
    entry = audit_rows(app)[-1]
    assert json.loads(entry.detail) == {"password": "reset"}
    assert NEW_PASSWORD not in entry.detail


def test_password_reset_obeys_the_policy(client: TestClient) -> None:
    answer = client.patch(f"{USERS}/aiko", headers=as_admin(client), json={"password": "short"})
    assert answer.status_code == 422


def test_the_last_admin_cannot_be_disabled_or_demoted(client: TestClient) -> None:
    headers = as_admin(client)
    assert client.patch(f"{USERS}/root", headers=headers,
                        json={"disabled": True}).status_code == 409
    assert client.patch(f"{USERS}/root", headers=headers,
                        json={"role": "analyst"}).status_code == 409
    assert client.patch(f"{USERS}/aiko", headers=headers,
                        json={"role": "admin"}).status_code == 200
    assert client.patch(f"{USERS}/root", headers=headers,
                        json={"role": "analyst"}).status_code == 200


def test_unknown_user_is_404(client: TestClient) -> None:
    assert client.patch(f"{USERS}/nobody", headers=as_admin(client),
                        json={"disabled": True}).status_code == 404


def test_audit_api_pages_newest_first(client: TestClient) -> None:
    headers = as_admin(client)
    for lang in ("en", "ja", "en"):
        client.patch(f"{USERS}/aiko", headers=headers, json={"language": lang})
    first = client.get("/api/v1/audit", params={"limit": 2}).json()
    assert [e["detail"] for e in first["entries"]] == [{"language": "en"}, {"language": "ja"}]
    assert all(e["actor"] == "root" and e["action"] == "user.update"
               for e in first["entries"])
    rest = client.get("/api/v1/audit", params={"limit": 2,
                                               "before_id": first["next_before_id"]}).json()
    assert [e["detail"] for e in rest["entries"]] == [{"language": "en"}]
    assert rest["next_before_id"] is None


def test_admin_bearer_token_manages_users_as_admin_token(app: FastAPI,
                                                         client: TestClient) -> None:
    answer = client.post(USERS, headers=admin_headers(), json={
        "username": "scripted", "password": PASSWORD, "role": "analyst"})
    assert answer.status_code == 201
    assert audit_rows(app)[-1].actor == "admin-token"
    assert client.get("/api/v1/audit", headers=admin_headers()).status_code == 200
