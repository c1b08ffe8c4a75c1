"""The notifier's boundary: what other parts of the collector call to have someone told.

Owns: `IncidentNotice` (the facts of an incident a notice needs, filled in by
collector/incidents), `enqueue_incident_notice` — one notice per enabled
contact of the tenant whose `min_severity` admits it, in the caller's
transaction: "escalated" at most once per incident and contact, "update" and
"resolved" threaded to that escalated notice (an update for a contact never
told becomes its escalated notice; a resolution nobody was told of is not
sent) — and `enqueue_sensor_notice` for the offline detector ("offline":
operators now, the tenant's contacts later, see sensors.py; "recovered":
cancel what is still waiting, tell whoever was told). Queued notices are sent
by the delivery worker (deliver.py). Does not own: deciding when to escalate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.notify.contacts import active_contacts
from collector.notify.models import (
    CANCELLED,
    ESCALATED,
    RESOLVED,
    UPDATE,
    Contact,
    Notice,
    to_utc,
)
from collector.notify.queue import NewNotice, add_notice
from collector.notify.sensors import close_episodes, open_episode

IncidentKind = Literal["escalated", "update", "resolved"]
SensorKind = Literal["offline", "recovered"]


@dataclass(slots=True)
class IncidentNotice:
    """An incident as its notices tell it (one tenant, one signature, src -> dest)."""

    incident_id: int
    tenant: str
    signature: str
    category: str
    gid: int
    sid: int
    severity: int  # Suricata: 1 = most severe
    src_ip: str
    dest_ip: str
    internal_host: str | None  # None: the private one of src/dest
    count: int
    first_seen: datetime
    last_seen: datetime
    url: str | None  # the customer's view; a path is joined to console_base_url

    def payload(self) -> dict[str, Any]:
        """JSON-ready; times in UTC ISO 8601."""
        data = asdict(self)
        data["first_seen"] = to_utc(self.first_seen).isoformat()
        data["last_seen"] = to_utc(self.last_seen).isoformat()
        return data


def enqueue_incident_notice(session: Session, notice: IncidentNotice, kind: IncidentKind,
                            actor: str, *, now: datetime | None = None) -> list[int]:
    """Queue `kind` for each of the tenant's contacts; returns the new notice ids.

    Runs in the caller's transaction (the caller commits with its change) and
    adds an audit entry. Escalating twice queues nothing the second time.
    """
    if kind not in (ESCALATED, UPDATE, RESOLVED):
        raise ValueError(f"incident notice kind must be escalated, update or resolved: {kind!r}")
    now = to_utc(now or datetime.now(UTC))
    queued = []
    for contact in active_contacts(session, notice.tenant):
        if notice.severity > contact.min_severity:
            continue
        notice_id = _queue_for(session, contact, notice, kind, actor, now)
        if notice_id is not None:
            queued.append(notice_id)
    record_audit(session, actor, f"notice.{kind}", f"incident:{notice.incident_id}",
                 {"notices": queued}, tenant=notice.tenant, now=now)
    return queued


def _queue_for(session: Session, contact: Contact, notice: IncidentNotice, kind: str,
               actor: str, now: datetime) -> int | None:
    thread = _escalated_notice(session, notice.incident_id, contact.id)
    if kind == RESOLVED and thread is None:
        return None  # nobody was told of it: no news to close
    if thread is None:
        kind = ESCALATED
    dedup = None if kind == UPDATE else f"incident:{notice.incident_id}:{kind}:{contact.id}"
    new = NewNotice(kind=kind, tenant=notice.tenant, severity=notice.severity,
                    payload=notice.payload(), actor=actor, incident_id=notice.incident_id,
                    thread_id=thread, dedup_key=dedup)
    return add_notice(session, contact, new, now)


def _escalated_notice(session: Session, incident_id: int, contact_id: int) -> int | None:
    query = select(Notice.id).where(Notice.incident_id == incident_id,
                                    Notice.contact_id == contact_id, Notice.kind == ESCALATED,
                                    Notice.state != CANCELLED)
    return session.scalars(query.order_by(Notice.id).limit(1)).first()


def enqueue_sensor_notice(session: Session, sensor_id: str, tenant: str, kind: SensorKind,
                          since: datetime, *, now: datetime | None = None) -> list[int]:
    """A sensor went offline at `since`, or is back since `since`; in the caller's transaction.

    "offline" queues the operators' notices now (the tenant's contacts are
    queued by the delivery worker once the sensor has stayed offline long
    enough); "recovered" cancels offline notices still waiting and queues
    "recovered" to whoever was told. Calling either twice queues nothing new.
    """
    now = to_utc(now or datetime.now(UTC))
    if kind == "offline":
        return open_episode(session, sensor_id, tenant, to_utc(since), now)
    if kind == "recovered":
        return close_episodes(session, sensor_id, to_utc(since), now)
    raise ValueError(f"sensor notice kind must be offline or recovered: {kind!r}")
