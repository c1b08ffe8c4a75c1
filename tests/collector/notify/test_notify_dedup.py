"""Incident notices: one escalated per incident and contact, updates threaded, retries logged."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from collector.audit import audit_entries
from collector.notify.models import CANCELLED, ESCALATED, FAILED, PENDING, SENT, UPDATE
from collector.notify.testing import (
    NIGHT,
    WebhookReceiver,
    add_contact,
    delivery_rows,
    enqueue,
    incident,
    notice_rows,
    run_pass,
    state,
)


def test_escalating_twice_queues_one_notice(app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    first = enqueue(app, incident())
    assert len(first) == 1 and enqueue(app, incident()) == []
    run_pass(app)
    assert [b["notice_id"] for b in webhook.accepted()] == first


def test_update_is_threaded_to_the_escalated_notice(app: FastAPI,
                                                    webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    [escalated] = enqueue(app, incident())
    run_pass(app)
    [update] = enqueue(app, incident(count=40), "update", now=NIGHT + timedelta(minutes=9))
    run_pass(app, now=NIGHT + timedelta(minutes=9))
    bodies = webhook.accepted()
    assert [(b["kind"], b["notice_id"], b["thread_id"]) for b in bodies] == [
        (ESCALATED, escalated, None), (UPDATE, update, escalated)]
    assert bodies[1]["incident_id"] == 42 and bodies[1]["title"].startswith("[yamori #42] ")
    assert "40 回" in bodies[1]["message"]


def test_two_updates_are_two_notices_in_one_thread(app: FastAPI,
                                                   webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    [escalated] = enqueue(app, incident())
    updates = enqueue(app, incident(count=5), "update") + enqueue(app, incident(count=9),
                                                                  "update")
    assert len(updates) == 2
    assert {n.thread_id for n in notice_rows(app) if n.kind == UPDATE} == {escalated}


def test_update_for_a_contact_never_told_becomes_its_escalated_notice(
        app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    enqueue(app, incident())
    late = add_contact(app, webhook.url, name="社長")
    enqueue(app, incident(count=8), "update")
    kinds = {(n.contact_id, n.kind) for n in notice_rows(app) if n.contact_id == late}
    assert kinds == {(late, ESCALATED)}


def test_resolved_goes_once_and_only_to_those_told(app: FastAPI,
                                                  webhook: WebhookReceiver) -> None:
    assert add_contact(app, webhook.url)
    assert enqueue(app, incident(incident_id=7), "resolved") == []  # never escalated
    [escalated] = enqueue(app, incident())
    [resolved] = enqueue(app, incident(), "resolved")
    assert enqueue(app, incident(), "resolved") == []
    assert [n.thread_id for n in notice_rows(app) if n.id == resolved] == [escalated]


def test_contact_minimum_severity_filters(app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, min_severity=1)
    assert enqueue(app, incident(severity=2)) == []
    assert len(enqueue(app, incident(incident_id=43, severity=1))) == 1


def test_disabled_contacts_and_other_tenants_get_nothing(app: FastAPI,
                                                        webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, enabled=False)
    add_contact(app, webhook.url, tenant="yamada-shoten")
    add_contact(app, webhook.url, tenant=None)  # operators hear of sensors, not incidents
    assert enqueue(app, incident()) == []


def test_each_queueing_is_audited(app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    ids = enqueue(app, incident())
    with state(app).database.session() as session:
        [entry] = [e for e in audit_entries(session) if e.action == "notice.escalated"]
    assert (entry.actor, entry.target, entry.tenant) == ("analyst-user", "incident:42",
                                                         "tanaka-kogyo")
    assert str(ids[0]) in entry.detail


def test_failed_attempts_are_retried_with_backoff_and_logged(app: FastAPI,
                                                            webhook: WebhookReceiver) -> None:
    webhook.fail_first = 2
    add_contact(app, webhook.url)
    [notice_id] = enqueue(app, incident())
    assert run_pass(app).retried == 1  # attempt 1 at t0: 500, next at t0 + 1 s
    assert run_pass(app, now=NIGHT + timedelta(seconds=0.5)).claimed == 0
    assert run_pass(app, now=NIGHT + timedelta(seconds=1)).retried == 1  # 500, next + 2 s
    assert run_pass(app, now=NIGHT + timedelta(seconds=2.9)).claimed == 0
    assert run_pass(app, now=NIGHT + timedelta(seconds=3)).sent == 1
    attempts = delivery_rows(app, notice_id)
    assert [(a.attempt, a.ok, a.http_status) for a in attempts] == [
        (1, False, 500), (2, False, 500), (3, True, None)]
    assert "500" in (attempts[0].error or "")
    [notice] = notice_rows(app)
    assert (notice.state, notice.attempts) == (SENT, 3)
    assert [b["notice_id"] for b in webhook.accepted()] == [notice_id]


def test_notice_fails_after_max_attempts(app: FastAPI, webhook: WebhookReceiver) -> None:
    webhook.fail_first = 100
    add_contact(app, webhook.url)
    enqueue(app, incident())
    for second in range(0, 60, 1):
        run_pass(app, now=NIGHT + timedelta(seconds=second), max_attempts=3)
    [notice] = notice_rows(app)
    assert (notice.state, notice.attempts, len(webhook.requests)) == (FAILED, 3, 3)


def test_deleting_a_contact_cancels_its_waiting_notices(app: FastAPI,
                                                       webhook: WebhookReceiver) -> None:
    from collector.notify.contacts import delete_contact, get_contact

    contact_id = add_contact(app, webhook.url)
    enqueue(app, incident())
    with state(app).database.session() as session:
        assert delete_contact(session, get_contact(session, contact_id, "tanaka-kogyo"),
                              NIGHT) == 1
        session.commit()
    run_pass(app)
    assert [n.state for n in notice_rows(app)] == [CANCELLED] and webhook.requests == []
    assert PENDING not in {n.state for n in notice_rows(app)}
