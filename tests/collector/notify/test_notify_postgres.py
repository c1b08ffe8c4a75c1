"""The queue on PostgreSQL: ON CONFLICT dedup, conditional claims, episodes (skips if absent)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from collector.main import create_app
from collector.notify.api import enqueue_sensor_notice
from collector.notify.deliver import deliver_claimed
from collector.notify.models import CANCELLED, SENT
from collector.notify.queue import claim_due
from collector.notify.testing import (
    NIGHT,
    WebhookReceiver,
    add_contact,
    enqueue,
    incident,
    notice_rows,
    run_pass,
    settings,
    state,
)
from collector.testing import temp_config


def test_dedup_claims_and_delivery_on_postgresql(tmp_path: Path, pg_url: str,
                                                  webhook: WebhookReceiver) -> None:
    app = create_app(replace(temp_config(tmp_path), database_url=pg_url))
    try:
        add_contact(app, webhook.url)
        add_contact(app, webhook.url, tenant=None, name="運用当番")
        [escalated] = enqueue(app, incident())
        assert enqueue(app, incident()) == []
        [update] = enqueue(app, incident(count=9), "update")
        with state(app).database.session() as session:
            since = datetime(2024, 5, 1, tzinfo=UTC)
            assert len(enqueue_sensor_notice(session, "pi-001", "tanaka-kogyo", "offline",
                                             since, now=NIGHT)) == 1
            assert enqueue_sensor_notice(session, "pi-001", "tanaka-kogyo", "offline",
                                         since, now=NIGHT) == []
            session.commit()
            claimed = claim_due(session, "a", NIGHT, 120.0, 10)
            assert len(claimed) == 3 and claim_due(session, "b", NIGHT, 120.0, 10) == []
        outcomes = [deliver_claimed(state(app).database, notice_id, "a", settings(app),
                                    clock=lambda: NIGHT) for notice_id in claimed]
        # No sensor pi-001 is known, so its offline notice is dropped at send time.
        assert sorted(o.state if o else "dropped" for o in outcomes) == ["dropped", SENT, SENT]
        assert run_pass(app, worker="b").claimed == 0
        assert sorted(b["notice_id"] for b in webhook.accepted()) == [escalated, update]
        assert [n.state for n in notice_rows(app)] == [SENT, SENT, CANCELLED]
    finally:
        state(app).database.dispose()
