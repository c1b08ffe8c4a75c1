"""Several delivery workers on one database: each notice sent once; claims lapse after a crash."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select

from collector.notify.deliver import deliver_pass
from collector.notify.models import PENDING, SENT, Delivery
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


def test_two_workers_never_send_the_same_notice_twice(app: FastAPI,
                                                      webhook: WebhookReceiver) -> None:
    for n in range(3):
        add_contact(app, webhook.url, name=f"contact {n}")
    queued = [i for incident_id in range(1, 21) for i in enqueue(app, incident(incident_id))]
    assert len(queued) == 60
    # Small batches so that the two workers interleave claims all along.
    pass_settings = settings(app, batch=4)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            while any(n.state == PENDING for n in notice_rows(app)):
                deliver_pass(state(app).database, pass_settings, name)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert errors == []
    sent = Counter(body["notice_id"] for body in webhook.accepted())
    assert sorted(sent) == sorted(queued) and set(sent.values()) == {1}
    assert {n.state for n in notice_rows(app)} == {SENT}
    with state(app).database.session() as session:
        by_worker = Counter(session.scalars(select(Delivery.worker)))
    assert set(by_worker) == {"worker-0", "worker-1"}, by_worker  # both really took part


def test_a_crashed_workers_claim_lapses_after_the_lease(app: FastAPI,
                                                        webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    [notice_id] = enqueue(app, incident())
    with state(app).database.session() as session:
        assert claim_due(session, "crashed", NIGHT, 120.0, 10) == [notice_id]
    assert run_pass(app, worker="w2").claimed == 0  # held by the crashed worker
    assert run_pass(app, now=NIGHT + timedelta(seconds=121), worker="w2").sent == 1
    assert [b["notice_id"] for b in webhook.accepted()] == [notice_id]


def test_a_claim_is_won_by_one_worker(app: FastAPI, webhook: WebhookReceiver) -> None:
    add_contact(app, webhook.url)
    [notice_id] = enqueue(app, incident())
    with state(app).database.session() as session:
        assert claim_due(session, "a", NIGHT, 120.0, 10) == [notice_id]
        assert claim_due(session, "b", NIGHT, 120.0, 10) == []
