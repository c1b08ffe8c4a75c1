"""Sensor offline: operators are told at once, the customer after the configured delay, never
if the box comes back first; whoever was told it was offline is told it is back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.fleet.admin import FleetState
from collector.fleet.detector import detect
from collector.fleet.testing import heartbeat_body
from collector.notify.api import enqueue_sensor_notice
from collector.notify.models import CANCELLED, OFFLINE, RECOVERED
from collector.notify.sensors import sweep_episodes
from collector.notify.testing import WebhookReceiver, add_contact, notice_rows, run_pass, state
from collector.testing import enroll
from uplink.schema import HEARTBEAT_PATH

DELAY = 600.0  # notify_customer_offline_after_seconds in these tests


@pytest.fixture
def box(app: FastAPI) -> tuple[TestClient, str]:
    return TestClient(app), enroll(app, "pi-001", "tanaka-kogyo")


def beat(box: tuple[TestClient, str]) -> datetime:
    client, token = box
    answer = client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001"),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return datetime.now(UTC)


def go_offline(app: FastAPI, last_beat: datetime) -> datetime:
    fleet: FleetState = app.state.fleet
    now = last_beat + timedelta(seconds=fleet.limits.offline_after + 5)
    with state(app).database.session() as session:
        assert [t.state for t in detect(session, fleet.limits, now)] == ["offline"]
    return now


def told(webhook: WebhookReceiver) -> list[tuple[str, str]]:
    return [(b["kind"], b["title"]) for b in webhook.accepted()]


def test_operators_now_customer_later_then_both_hear_it_is_back(
        app: FastAPI, box: tuple[TestClient, str], webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, tenant=None, name="運用当番")
    add_contact(app, webhook.url, name="総務")
    offline_at = go_offline(app, beat(box))
    assert run_pass(app, now=offline_at, customer_offline_after_seconds=DELAY).sent == 1
    [operators] = webhook.accepted()
    assert operators["kind"] == OFFLINE and operators["message"].startswith("運用担当者各位")
    later = offline_at + timedelta(seconds=DELAY - 1)
    assert run_pass(app, now=later, customer_offline_after_seconds=DELAY).claimed == 0
    due = offline_at + timedelta(seconds=DELAY)
    assert run_pass(app, now=due, customer_offline_after_seconds=DELAY).sent == 1
    customer = webhook.accepted()[1]
    assert customer["kind"] == OFFLINE and customer["tenant"] == "tanaka-kogyo"
    assert "監視装置の電源・ケーブルをご確認ください" in customer["message"]
    beat(box)  # back
    assert run_pass(app, now=due, customer_offline_after_seconds=DELAY).sent == 2
    assert [k for k, _ in told(webhook)] == [OFFLINE, OFFLINE, RECOVERED, RECOVERED]
    recovered = webhook.accepted()[2:]
    assert {b["thread_id"] for b in recovered} == {operators["notice_id"],
                                                   customer["notice_id"]}


def test_customer_is_not_told_when_the_box_is_back_before_the_delay(
        app: FastAPI, box: tuple[TestClient, str], webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, tenant=None, name="運用当番")
    add_contact(app, webhook.url, name="総務")
    offline_at = go_offline(app, beat(box))
    run_pass(app, now=offline_at, customer_offline_after_seconds=DELAY)
    beat(box)
    after = offline_at + timedelta(seconds=DELAY * 2)
    run_pass(app, now=after, customer_offline_after_seconds=DELAY)
    run_pass(app, now=after + timedelta(seconds=1), customer_offline_after_seconds=DELAY)
    bodies = webhook.accepted()
    assert [(b["kind"], b["message"].startswith("運用担当者各位")) for b in bodies] == [
        (OFFLINE, True), (RECOVERED, True)]


def test_queued_customer_notice_is_cancelled_on_recovery(
        app: FastAPI, box: tuple[TestClient, str], webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, name="総務")
    offline_at = go_offline(app, beat(box))
    with state(app).database.session() as session:
        sweep_episodes(session, offline_at, customer_after=0.0)  # queued, not yet sent
    [waiting] = notice_rows(app)
    assert waiting.kind == OFFLINE
    with state(app).database.session() as session:
        assert enqueue_sensor_notice(session, "pi-001", "tanaka-kogyo", "recovered",
                                     since=offline_at, now=offline_at) == []
        session.commit()
    assert [n.state for n in notice_rows(app)] == [CANCELLED]
    run_pass(app, now=offline_at, customer_offline_after_seconds=0.0)
    assert webhook.requests == []


def test_offline_event_twice_queues_once(app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, tenant=None, name="運用当番")
    since = datetime(2024, 5, 1, tzinfo=UTC)
    with state(app).database.session() as session:
        first = enqueue_sensor_notice(session, "pi-001", "tanaka-kogyo", "offline", since)
        again = enqueue_sensor_notice(session, "pi-001", "tanaka-kogyo", "offline", since)
        session.commit()
    assert len(first) == 1 and again == []
