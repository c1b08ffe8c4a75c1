"""The notice queue: adding (deduplicated, held through quiet hours), claiming, finishing.

Owns: `add_notice` (an INSERT … ON CONFLICT (dedup_key) DO NOTHING, so a
second "escalated" for the same incident and contact is a no-op in the
caller's transaction, on SQLite and PostgreSQL alike), `claim_due` (a
conditional UPDATE per notice that sets claimed_by/claimed_until: of several
collector processes exactly one wins each notice, and a crashed worker's
claim lapses after the lease), `finish_attempt` (sent, failed, or back to
pending with the next due time — conditional on still holding the claim, so a
notice is marked sent exactly once) and `cancel_pending`.
On SQLite a transaction that has read and then writes fails at once when
another connection wrote in between, so the writing steps here start with
their write. Does not own: sending (deliver.py, channels.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Insert, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.notify.channels import SendResult
from collector.notify.models import (
    CANCELLED,
    FAILED,
    PENDING,
    SENT,
    TEST,
    Contact,
    Delivery,
    Notice,
)
from collector.notify.quiet import QuietHours, is_low


@dataclass(slots=True, frozen=True)
class NewNotice:
    """What a notice is about; the queue adds contact, schedule and state."""

    kind: str
    tenant: str | None
    severity: int
    payload: dict[str, Any]
    actor: str
    incident_id: int | None = None
    sensor_id: str | None = None
    episode_id: int | None = None
    thread_id: int | None = None
    dedup_key: str | None = None
    max_attempts: int | None = None


def add_notice(session: Session, contact: Contact, new: NewNotice, now: datetime,
               due_at: datetime | None = None,
               claim: tuple[str, float] | None = None) -> int | None:
    """Queue `new` for `contact` in the caller's transaction; None if its dedup_key exists.

    `claim` (worker, lease seconds) queues it already claimed, for a caller that
    sends it at once itself (the test button).
    """
    due = due_at or now
    held = _release(contact, new, due)
    worker, lease = claim if claim is not None else (None, 0.0)
    values = {
        "contact_id": contact.id, "tenant": new.tenant, "kind": new.kind,
        "incident_id": new.incident_id, "sensor_id": new.sensor_id,
        "episode_id": new.episode_id, "thread_id": new.thread_id, "dedup_key": new.dedup_key,
        "severity": new.severity, "state": PENDING, "created_by": new.actor, "created_at": now,
        "due_at": held or due, "held_until": held, "attempts": 0,
        "max_attempts": new.max_attempts, "claimed_by": worker,
        "claimed_until": now + timedelta(seconds=lease) if worker else None,
        "payload": json.dumps(new.payload, ensure_ascii=False, sort_keys=True, default=str),
    }
    return _insert_new(session, values)


def _release(contact: Contact, new: NewNotice, due: datetime) -> datetime | None:
    # Quiet hours hold low-severity notices until the window ends; never drop them.
    if new.kind == TEST or not is_low(new.severity):
        return None
    quiet = QuietHours.of(contact.quiet_start, contact.quiet_end, contact.timezone)
    return quiet.release_time(due) if quiet is not None else None


def _insert_new(session: Session, values: dict[str, Any]) -> int | None:
    return insert_or_nothing(session, Notice, values, ["dedup_key"])


def insert_or_nothing(session: Session, model: type[Any], values: dict[str, Any],
                      unique: list[str]) -> int | None:
    """INSERT a `model` row and return its id, or None when `unique` already has it."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        module: Any = sqlite if dialect == "sqlite" else postgresql
        stmt: Insert = (module.insert(model).values(**values)
                        .on_conflict_do_nothing(index_elements=unique)
                        .returning(model.id))
        found: int | None = session.execute(stmt).scalar_one_or_none()
        return found
    try:  # other databases: a savepoint keeps the caller's transaction usable
        with session.begin_nested():
            made: int = session.execute(insert(model).values(**values)
                                        .returning(model.id)).scalar_one()
            return made
    except IntegrityError:
        return None


def _claimable(now: datetime) -> ColumnElement[bool]:
    return (Notice.state == PENDING) & (Notice.due_at <= now) & or_(
        Notice.claimed_until.is_(None), Notice.claimed_until < now)


def claim_due(session: Session, worker: str, now: datetime, lease_seconds: float,
              limit: int) -> list[int]:
    """Claim up to `limit` due notices for `worker`, oldest due first; commits each claim."""
    candidates = list(session.scalars(select(Notice.id).where(_claimable(now))
                                      .order_by(Notice.due_at, Notice.id).limit(limit)))
    session.rollback()  # end the read before writing (see the module docstring)
    until = now + timedelta(seconds=lease_seconds)
    claimed = []
    for notice_id in candidates:
        stmt = (update(Notice).where(Notice.id == notice_id, _claimable(now))
                .values(claimed_by=worker, claimed_until=until)
                .execution_options(synchronize_session=False))
        if session.execute(stmt).rowcount:  # type: ignore[attr-defined]
            claimed.append(notice_id)
        session.commit()
    return claimed


@dataclass(slots=True, frozen=True)
class Outcome:
    """Where one attempt leaves its notice."""

    state: str
    attempt: int
    due_at: datetime | None  # the next attempt, when pending
    recorded: bool  # False: the claim had lapsed to another worker


def finish_attempt(session: Session, notice_id: int, attempts: int, worker: str,
                   result: SendResult, now: datetime, limit: int, retry_in: float,
                   final: bool = False) -> Outcome:
    """Record `result` as attempt `attempts + 1` of a notice claimed by `worker`; commits.

    `final` marks it failed whatever the attempts left (an error no retry fixes).
    """
    attempt = attempts + 1
    values: dict[str, Any] = {"attempts": attempt, "claimed_by": None, "claimed_until": None,
                              "last_error": result.error}
    due = None
    if result.ok:
        values.update(state=SENT, sent_at=now)
    elif final or attempt >= limit:
        values.update(state=FAILED)
    else:
        due = now + timedelta(seconds=retry_in)
        values.update(due_at=due)
    stmt = (update(Notice)
            .where(Notice.id == notice_id, Notice.state == PENDING,
                   Notice.claimed_by == worker, Notice.attempts == attempts)
            .values(**values).execution_options(synchronize_session=False))
    recorded = bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    session.add(Delivery(notice_id=notice_id, attempt=attempt, at=now, ok=result.ok,
                         error=result.error, http_status=result.http_status,
                         seconds=round(result.seconds, 4), worker=worker))
    session.commit()
    return Outcome(values.get("state", PENDING), attempt, due, recorded)


def cancel_pending(session: Session, notice_ids: list[int], now: datetime,
                   reason: str) -> int:
    """Cancel those of `notice_ids` still pending and not being sent right now."""
    if not notice_ids:
        return 0
    stmt = (update(Notice)
            .where(Notice.id.in_(notice_ids), Notice.state == PENDING,
                   or_(Notice.claimed_until.is_(None), Notice.claimed_until < now))
            .values(state=CANCELLED, last_error=reason, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False))
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def drop_claimed(session: Session, notice_id: int, worker: str, reason: str) -> bool:
    """Cancel a notice `worker` holds (its contact or its news went away); commits."""
    stmt = (update(Notice)
            .where(Notice.id == notice_id, Notice.claimed_by == worker, Notice.state == PENDING)
            .values(state=CANCELLED, last_error=reason, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False))
    dropped = bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    session.commit()
    return dropped
