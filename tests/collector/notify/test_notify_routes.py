"""The contacts API, the test button and the delivery log: who may do what, secrets masked."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from collector.audit import audit_entries
from collector.notify.testing import (
    WebhookReceiver,
    add_contact,
    enqueue,
    incident,
    run_pass,
    sign_in_as,
    state,
)

CONTACTS = "/api/v1/tenants/tanaka-kogyo/contacts"
SECRET = "s3cr3tPassw0rd"
MAIL = f"mailto://yamori:{SECRET}@smtp.example.jp?to=soumu@tanaka.example"


def audited(app: FastAPI, action: str) -> list[Any]:
    with state(app).database.session() as session:
        return [e for e in audit_entries(session) if e.action == action]


def test_staff_add_a_contact_and_never_get_its_secret_back(app: FastAPI) -> None:
    client = sign_in_as(app, "analyst", username="ana")
    answer = client.post(CONTACTS, json={"name": "総務", "url": MAIL,
                                         "quiet_hours": {"start": "22:00", "end": "07:00"}})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["kind"] == "email" and created["tenant"] == "tanaka-kogyo"
    assert created["timezone"] == "Asia/Tokyo" and created["lang"] == "ja"
    assert SECRET not in answer.text and "soumu@tanaka.example" in created["url"]
    listed = client.get(CONTACTS)
    assert [c["id"] for c in listed.json()] == [created["id"]] and SECRET not in listed.text
    [entry] = audited(app, "contact.create")
    assert (entry.actor, entry.tenant, entry.target) == ("ana", "tanaka-kogyo",
                                                         f"contact:{created['id']}")
    assert SECRET not in entry.detail


def test_patch_changes_only_the_fields_given(app: FastAPI, webhook: WebhookReceiver) -> None:
    client = sign_in_as(app, "analyst")
    contact_id = add_contact(app, webhook.url, quiet=("22:00", "07:00"))
    answer = client.patch(f"{CONTACTS}/{contact_id}", json={"lang": "en", "quiet_hours": None})
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert (changed["lang"], changed["quiet_hours"], changed["name"]) == ("en", None, "総務")
    assert len(audited(app, "contact.update")) == 1


@pytest.mark.parametrize("body", [
    {"url": "bogus://nowhere"},
    {"quiet_hours": {"start": "22:00", "end": "22:00"}},
    {"quiet_hours": {"start": "25:00", "end": "07:00"}},
    {"timezone": "Mars/Olympus"},
    {"min_severity": 0},
    {"colour": "red"},
])
def test_bad_changes_are_refused_and_change_nothing(app: FastAPI, webhook: WebhookReceiver,
                                                    body: dict[str, Any]) -> None:
    client = sign_in_as(app, "analyst")
    contact_id = add_contact(app, webhook.url)
    before = client.get(f"{CONTACTS}/{contact_id}").json()
    answer = client.patch(f"{CONTACTS}/{contact_id}", json=body)
    assert answer.status_code == 422 and answer.json()["error"]
    assert client.get(f"{CONTACTS}/{contact_id}").json() == before


def test_delete_retires_the_contact_and_cancels_its_notices(app: FastAPI,
                                                          webhook: WebhookReceiver) -> None:
    client = sign_in_as(app, "analyst")
    contact_id = add_contact(app, webhook.url)
    enqueue(app, incident())
    answer = client.delete(f"{CONTACTS}/{contact_id}")
    assert answer.json() == {"deleted": contact_id, "cancelled_notices": 1}
    assert client.get(f"{CONTACTS}/{contact_id}").status_code == 404
    log = client.get("/api/v1/notices").json()["notices"]
    assert [(n["state"], n["contact_name"]) for n in log] == [("cancelled", "総務")]


def test_test_button_sends_now_and_answers_the_result(app: FastAPI,
                                                      webhook: WebhookReceiver) -> None:
    client = sign_in_as(app, "analyst")
    contact_id = add_contact(app, webhook.url)
    answer = client.post(f"{CONTACTS}/{contact_id}/test")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["ok"] is True and result["notice"]["state"] == "sent"
    [body] = webhook.accepted()
    assert body["kind"] == "test" and body["notice_id"] == result["notice"]["id"]
    assert "テスト通知" in body["title"]
    assert len(audited(app, "contact.test")) == 1


def test_test_button_reports_a_failure_without_retrying(app: FastAPI,
                                                        webhook: WebhookReceiver) -> None:
    webhook.fail_first = 10
    client = sign_in_as(app, "analyst")
    contact_id = add_contact(app, webhook.url)
    result = client.post(f"{CONTACTS}/{contact_id}/test").json()
    assert (result["ok"], result["http_status"]) == (False, 500) and "500" in result["error"]
    assert result["notice"]["state"] == "failed"
    run_pass(app)
    assert len(webhook.requests) == 1


def test_notice_log_filters_and_shows_every_attempt(app: FastAPI,
                                                    webhook: WebhookReceiver) -> None:
    webhook.fail_first = 1
    client = sign_in_as(app, "analyst")
    add_contact(app, webhook.url)
    add_contact(app, webhook.url, tenant="yamada-shoten")
    enqueue(app, incident(42))
    enqueue(app, incident(43, tenant="yamada-shoten"))
    run_pass(app)
    [mine] = client.get("/api/v1/notices", params={"tenant": "tanaka-kogyo"}).json()["notices"]
    assert mine["incident_id"] == 42 and mine["kind"] == "escalated"
    attempts = [(d["attempt"], d["ok"], d["http_status"]) for d in mine["deliveries"]]
    assert attempts == [(1, False, 500)] and mine["state"] == "pending"
    by_incident = client.get("/api/v1/notices", params={"incident_id": 43}).json()["notices"]
    assert [n["state"] for n in by_incident] == ["sent"]
    assert client.get("/api/v1/notices", params={"state": "lost"}).status_code == 422


def test_operator_contacts_are_for_admins(app: FastAPI, webhook: WebhookReceiver) -> None:
    analyst = sign_in_as(app, "analyst")
    body = {"name": "運用当番", "url": webhook.url}
    assert analyst.post("/api/v1/operator-contacts", json=body).status_code == 403
    assert analyst.get("/api/v1/operator-contacts").status_code == 403
    admin = sign_in_as(app, "admin")
    created = admin.post("/api/v1/operator-contacts", json=body)
    assert created.status_code == 201 and created.json()["tenant"] is None
    assert [c["name"] for c in admin.get("/api/v1/operator-contacts").json()] == ["運用当番"]
    assert admin.get(CONTACTS).json() == []  # operators are nobody's tenant contacts
    assert len(audited(app, "operator-contact.create")) == 1


def test_customer_reads_only_their_own_contacts_list(app: FastAPI,
                                                     webhook: WebhookReceiver) -> None:
    contact_id = add_contact(app, MAIL)
    customer = sign_in_as(app, "customer", tenant="tanaka-kogyo")
    listed = customer.get(CONTACTS)
    assert listed.status_code == 200 and SECRET not in listed.text
    assert listed.json()[0]["id"] == contact_id
    assert customer.get("/api/v1/tenants/yamada-shoten/contacts").status_code == 403


@pytest.mark.parametrize(("method", "path"), [
    ("post", CONTACTS), ("get", CONTACTS + "/{id}"), ("patch", CONTACTS + "/{id}"),
    ("delete", CONTACTS + "/{id}"), ("post", CONTACTS + "/{id}/test"),
    ("get", "/api/v1/operator-contacts"), ("post", "/api/v1/operator-contacts"),
    ("get", "/api/v1/notices"),
])
def test_customer_viewer_gets_403_elsewhere(app: FastAPI, webhook: WebhookReceiver,
                                            method: str, path: str) -> None:
    contact_id = add_contact(app, webhook.url)
    customer = sign_in_as(app, "customer", tenant="tanaka-kogyo")
    body = {"name": "x", "url": webhook.url} if method in ("post", "patch") else None
    answer = customer.request(method, path.format(id=contact_id), json=body)
    assert answer.status_code == 403, answer.text
    assert webhook.requests == []


def test_signed_out_requests_are_refused(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    assert TestClient(app).get(CONTACTS).status_code == 401
