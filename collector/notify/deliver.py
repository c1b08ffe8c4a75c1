"""The delivery worker: claims due notices, renders and sends them, records every attempt.

Owns: `deliver_pass` — one pass, callable from tests with any clock: the
sensor-episode sweep (sensors.py), then claim due notices (queue.py), then for
each: re-check it still has a reason to go (contact live and enabled, sensor
still offline), render it in the contact's language (render.py), send it
through apprise (channels.py) with e-mail thread headers or webhook fields,
and record the attempt — sent exactly once, or back to pending after 1 s, 2 s,
4 s … (capped), or failed after the configured attempts — and
`run_delivery_worker`, the background task the app's lifespan starts (one
pass every `notify_poll_seconds`; a full batch runs the next pass at once).
`deliver_claimed` also serves the console's test button, which sends through
this same path. Does not own: what is queued (api.py) or HTTP (routes.py).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.db import Database
from collector.notify.channels import Message, SendResult, send_message
from collector.notify.contacts import get_contact
from collector.notify.models import ESCALATED, FAILED, OFFLINE, SENT, TEST, Contact, Notice
from collector.notify.queue import (
    NewNotice,
    Outcome,
    add_notice,
    claim_due,
    drop_claimed,
    finish_attempt,
)
from collector.notify.quiet import LOW_SEVERITY
from collector.notify.render import render
from collector.notify.sensors import episode_still_open, sweep_episodes
from collector.notify.settings import NotifySettings

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def worker_name() -> str:
    """This worker's name in claims and the delivery log: host, pid and a random tag."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(slots=True, frozen=True)
class _Job:
    """A claimed notice with what sending it needs, read in one go."""

    notice_id: int
    kind: str
    attempts: int
    limit: int
    url: str
    message: Message | None  # None: it could not be rendered
    render_error: str | None
    headers: dict[str, str]
    fields: dict[str, Any]


@dataclass(slots=True)
class PassReport:
    """What one pass did (for tests and debug logs)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0


def deliver_pass(database: Database, settings: NotifySettings, worker: str,
                 clock: Clock = utcnow) -> PassReport:
    """Sweep sensor episodes, then claim and deliver every due notice once."""
    now = clock()
    with database.session() as session:
        sweep_episodes(session, now, settings.customer_offline_after_seconds)
        claimed = claim_due(session, worker, now, settings.lease_seconds, settings.batch)
    report = PassReport(claimed=len(claimed))
    for notice_id in claimed:
        outcome = deliver_claimed(database, notice_id, worker, settings, clock)
        _count(report, outcome)
    return report


def _count(report: PassReport, outcome: Outcome | None) -> None:
    if outcome is None:
        report.cancelled += 1
    elif outcome.state == SENT:
        report.sent += 1
    elif outcome.state == FAILED:
        report.failed += 1
    else:
        report.retried += 1


def deliver_claimed(database: Database, notice_id: int, worker: str,
                    settings: NotifySettings, clock: Clock = utcnow) -> Outcome | None:
    """Send one notice `worker` has claimed and record the attempt; None if it was cancelled."""
    with database.session() as session:
        job_or_reason = _job(session, notice_id, settings)
        session.rollback()  # end the read: SQLite refuses a write after a stale read
        if isinstance(job_or_reason, str):
            drop_claimed(session, notice_id, worker, job_or_reason)
            return None
    job = job_or_reason
    if job.message is None:
        result = SendResult(False, job.render_error, None, 0.0)
    else:
        result = send_message(job.url, job.message, job.headers, job.fields)
    with database.session() as session:
        attempt_no = job.attempts + 1
        outcome = finish_attempt(session, notice_id, job.attempts, worker, result, clock(),
                                 job.limit, settings.backoff(attempt_no),
                                 final=job.message is None)
    _log(job, result, outcome)
    return outcome


def _job(session: Session, notice_id: int, settings: NotifySettings) -> _Job | str:
    notice = session.get(Notice, notice_id)
    contact = session.get(Contact, notice.contact_id) if notice is not None else None
    if notice is None or contact is None:
        return "notice or contact gone"
    if contact.deleted_at is not None or not contact.enabled:
        return "contact deleted or disabled"
    if notice.kind == OFFLINE and notice.episode_id is not None \
            and not episode_still_open(session, notice.episode_id):
        return "sensor recovered before the notice went out"
    payload = json.loads(notice.payload)
    message, error = _render(notice, contact, payload, settings)
    return _Job(notice_id=notice.id, kind=notice.kind, attempts=notice.attempts,
                limit=notice.max_attempts or settings.max_attempts, url=contact.url,
                message=message, render_error=error,
                headers=thread_headers(notice, settings.thread_domain()),
                fields=webhook_fields(notice))


def _render(notice: Notice, contact: Contact, payload: dict[str, Any],
            settings: NotifySettings) -> tuple[Message | None, str | None]:
    try:
        return render(notice.kind, contact.lang, payload, notice_id=notice.id,
                      operator=contact.tenant is None, tz=contact.timezone,
                      base_url=settings.console_base_url), None
    except Exception as exc:  # a template or payload bug: recorded, never retried
        log.exception("notice %s could not be rendered", notice.id)
        return None, f"render failed: {type(exc).__name__}: {exc}"


def thread_headers(notice: Notice, domain: str) -> dict[str, str]:
    """E-mail headers that thread every notice of one incident under one id."""
    if notice.incident_id is None:
        return {}
    root = f"<yamori-incident-{notice.incident_id}@{domain}>"
    headers = {"References": root}
    if notice.kind != ESCALATED:
        headers["In-Reply-To"] = root
    return headers


def webhook_fields(notice: Notice) -> dict[str, Any]:
    """Fields added to a JSON webhook's body, so a receiver can deduplicate and thread."""
    return {"notice_id": notice.id, "kind": notice.kind, "tenant": notice.tenant,
            "incident_id": notice.incident_id, "thread_id": notice.thread_id,
            "sensor_id": notice.sensor_id, "severity": notice.severity}


def _log(job: _Job, result: SendResult, outcome: Outcome) -> None:
    if not outcome.recorded:
        log.warning("notice %s: claim lapsed while sending; attempt %s logged anyway",
                    job.notice_id, outcome.attempt)
    if outcome.state == FAILED:
        log.warning("notice %s failed after %s attempt(s): %s", job.notice_id,
                    outcome.attempt, result.error)
    else:
        log.debug("notice %s attempt %s: %s", job.notice_id, outcome.attempt, outcome.state)


async def run_delivery_worker(database: Database, settings: NotifySettings,
                              worker: str | None = None) -> None:
    """Run `deliver_pass` every `poll_seconds` until cancelled (the app's lifespan)."""
    name = worker or worker_name()
    while True:
        full = False
        try:
            report = await anyio.to_thread.run_sync(deliver_pass, database, settings, name)
            full = report.claimed >= settings.batch
        except Exception:  # a database hiccup must not end delivery for good
            log.exception("notice delivery pass failed; retrying")
        await anyio.sleep(0 if full else settings.poll_seconds)


@dataclass(slots=True, frozen=True)
class TestSent:
    """What the test button reports: the notice and how its one attempt went."""

    notice_id: int
    outcome: Outcome | None


def send_test_notice(database: Database, contact_id: int, tenant: str | None, actor: str,
                     settings: NotifySettings, clock: Clock = utcnow) -> TestSent:
    """Queue a test notice to the contact already claimed, send it now (one attempt), audit it."""
    worker, now = f"test-button:{uuid.uuid4().hex[:8]}", clock()
    with database.session() as session:
        contact = get_contact(session, contact_id, tenant)
        new = NewNotice(kind=TEST, tenant=tenant, severity=LOW_SEVERITY,
                        payload={"tenant": tenant, "contact_name": contact.name, "url": None},
                        actor=actor, max_attempts=1)
        notice_id = add_notice(session, contact, new, now, claim=(worker, settings.lease_seconds))
        assert notice_id is not None  # test notices have no dedup key
        record_audit(session, actor, "contact.test", f"contact:{contact_id}",
                     {"notice_id": notice_id}, tenant=tenant, now=now)
        session.commit()
    return TestSent(notice_id, deliver_claimed(database, notice_id, worker, settings, clock))
