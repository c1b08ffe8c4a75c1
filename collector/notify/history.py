"""The delivery log: notices with their attempts, newest first, filtered.

Owns: `notice_log` (by tenant, incident, state, kind, contact; paged by id)
and the public form of a notice with every attempt. Does not own: writing
either (queue.py) or HTTP (routes.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.notify.models import Contact, Delivery, Notice
from collector.notify.schemas import DeliveryPublic, NoticePage, NoticePublic


@dataclass(slots=True, frozen=True)
class NoticeFilter:
    """Which notices the log shows; None means any."""

    tenant: str | None = None
    incident_id: int | None = None
    state: str | None = None
    kind: str | None = None
    contact_id: int | None = None
    before_id: int | None = None


def notice_log(session: Session, flt: NoticeFilter, limit: int) -> NoticePage:
    """One page of the log, newest first, each notice with its attempts."""
    query = (select(Notice, Contact).join(Contact, Contact.id == Notice.contact_id)
             .order_by(Notice.id.desc()).limit(limit))
    for column, value in ((Notice.tenant, flt.tenant), (Notice.incident_id, flt.incident_id),
                          (Notice.state, flt.state), (Notice.kind, flt.kind),
                          (Notice.contact_id, flt.contact_id)):
        if value is not None:
            query = query.where(column == value)
    if flt.before_id is not None:
        query = query.where(Notice.id < flt.before_id)
    rows = session.execute(query).all()
    attempts = _attempts(session, [notice.id for notice, _ in rows])
    notices = [public_notice(notice, contact, attempts[notice.id]) for notice, contact in rows]
    more = len(rows) == limit
    return NoticePage(notices=notices, next_before_id=rows[-1][0].id if rows and more else None)


def notice_with_attempts(session: Session, notice_id: int) -> NoticePublic | None:
    """One notice as the log shows it."""
    notice = session.get(Notice, notice_id)
    contact = session.get(Contact, notice.contact_id) if notice is not None else None
    if notice is None or contact is None:
        return None
    return public_notice(notice, contact, _attempts(session, [notice_id])[notice_id])


def _attempts(session: Session, notice_ids: list[int]) -> dict[int, list[DeliveryPublic]]:
    found: dict[int, list[DeliveryPublic]] = defaultdict(list)
    if not notice_ids:
        return found
    query = (select(Delivery).where(Delivery.notice_id.in_(notice_ids))
             .order_by(Delivery.notice_id, Delivery.attempt, Delivery.id))
    for row in session.scalars(query):
        found[row.notice_id].append(DeliveryPublic(
            attempt=row.attempt, at=as_utc(row.at), ok=row.ok, error=row.error,
            http_status=row.http_status, seconds=row.seconds, worker=row.worker))
    return found


def public_notice(notice: Notice, contact: Contact,
                  attempts: list[DeliveryPublic]) -> NoticePublic:
    """The notice as the API shows it (no payload: its facts are the incident's)."""
    def utc(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    return NoticePublic(
        id=notice.id, contact_id=contact.id, contact_name=contact.name,
        contact_kind=contact.kind, tenant=notice.tenant, kind=notice.kind,
        incident_id=notice.incident_id, sensor_id=notice.sensor_id, thread_id=notice.thread_id,
        severity=notice.severity, state=notice.state, created_by=notice.created_by,
        created_at=as_utc(notice.created_at), due_at=as_utc(notice.due_at),
        held_until=utc(notice.held_until), attempts=notice.attempts,
        sent_at=utc(notice.sent_at), last_error=notice.last_error, deliveries=attempts)
