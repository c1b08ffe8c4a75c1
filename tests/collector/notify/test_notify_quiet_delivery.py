"""Quiet hours on delivery: a low-severity notice waits for the morning, a serious one does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from collector.notify.models import PENDING, SENT
from collector.notify.testing import (
    NIGHT,
    WebhookReceiver,
    add_contact,
    enqueue,
    incident,
    notice_rows,
    run_pass,
)

# NIGHT is 02:13 JST; the window below ends at 07:00 JST = 22:00 UTC.
MORNING = datetime(2024, 4, 30, 22, 0, tzinfo=UTC)


def test_low_severity_notice_is_held_then_released(app: FastAPI,
                                                   webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, quiet=("22:00", "07:00"))
    enqueue(app, incident(severity=3))
    [notice] = notice_rows(app)
    assert notice.held_until is not None
    assert notice.held_until.replace(tzinfo=UTC) == MORNING
    assert run_pass(app, now=NIGHT + timedelta(hours=4)).claimed == 0
    assert webhook.requests == [] and notice_rows(app)[0].state == PENDING
    assert run_pass(app, now=MORNING).sent == 1
    assert [b["severity"] for b in webhook.accepted()] == [3]


def test_high_severity_notice_ignores_quiet_hours(app: FastAPI,
                                                  webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, quiet=("22:00", "07:00"))
    enqueue(app, incident(severity=1))
    assert notice_rows(app)[0].held_until is None
    assert run_pass(app).sent == 1
    assert notice_rows(app)[0].state == SENT


def test_outside_quiet_hours_low_severity_goes_at_once(app: FastAPI,
                                                       webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url, quiet=("22:00", "07:00"))
    noon = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)  # 12:00 JST
    enqueue(app, incident(severity=3), now=noon)
    assert run_pass(app, now=noon).sent == 1
