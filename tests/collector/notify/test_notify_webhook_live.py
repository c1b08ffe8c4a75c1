"""The target: an escalated incident reaches a webhook on loopback within 10 s, exactly once.

A real collector (uvicorn on 127.0.0.1, its lifespan running the delivery
worker) and a receiver that fails the first two requests with HTTP 500.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from collector.notify.api import enqueue_incident_notice
from collector.notify.models import SENT, Notice
from collector.notify.testing import WebhookReceiver, add_contact, delivery_rows, incident, state
from collector.testing import serve_in_thread, temp_config

TARGET_SECONDS = 10.0


def test_escalated_notice_reaches_a_failing_webhook_once_within_10_s(
        tmp_path: Path, webhook: WebhookReceiver) -> None:
    webhook.fail_first = 2
    config = replace(temp_config(tmp_path), notify_poll_seconds=0.5)
    with serve_in_thread(config) as live:
        add_contact(live.app, webhook.url)
        started = time.monotonic()
        with state(live.app).database.session() as session:
            [notice_id] = enqueue_incident_notice(session, incident(), "escalated", "ana",
                                                  now=datetime.now(UTC))
            session.commit()
        arrived = webhook.wait_accepted(1, TARGET_SECONDS)
        assert arrived is not None, f"not delivered within {TARGET_SECONDS} s"
        delay = arrived - started
        print(f"escalated notice delivered after {delay:.2f} s "  # noqa: T201
              f"(receiver answered {webhook.statuses()})")
        time.sleep(1.5)  # would a duplicate follow?
        assert [b["notice_id"] for b in webhook.accepted()] == [notice_id]
        assert webhook.statuses() == [500, 500, 200]
        attempts = delivery_rows(live.app, notice_id)
    assert delay < TARGET_SECONDS
    assert [(a.ok, a.http_status) for a in attempts] == [(False, 500), (False, 500), (True, None)]
    assert attempts[-1].worker.count(":") == 2  # host:pid:tag of the lifespan's worker
    with state(live.app).database.session() as session:
        notice = session.get(Notice, notice_id)
        assert notice is not None and notice.state == SENT and notice.attempts == 3
