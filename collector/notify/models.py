"""The tables of notices: contacts, notices, delivery attempts, sensor episodes, dispatches.

Owns: `Contact` (one apprise URL per row; `tenant` NULL for the vendor's
operators; soft-deleted so the delivery log keeps its target), `Notice` (one
message to one contact about one incident or sensor event; `dedup_key` makes
"one escalated notice per incident per contact" a unique index, updates point
at it through `thread_id`), `Delivery` (every attempt), `SensorEpisode` (one
offline spell of one sensor, so its notices can be delayed for the customer
and cancelled on recovery) and `Dispatch` (on-site visits; `incident_id` is a
plain integer: the incidents table belongs to collector/incidents).
Does not own: queries (queue.py, contacts.py, sensors.py, dispatches.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import Base, CursorId

# Notice kinds: about an incident, about a sensor, or the console's test button.
ESCALATED, UPDATE, RESOLVED = "escalated", "update", "resolved"
OFFLINE, RECOVERED, TEST = "offline", "recovered", "test"
NOTICE_KINDS = (ESCALATED, UPDATE, RESOLVED, OFFLINE, RECOVERED, TEST)

# Notice states: pending (waiting, held or being retried), then exactly one of the others.
PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"
NOTICE_STATES = (PENDING, SENT, FAILED, CANCELLED)


def to_utc(when: datetime) -> datetime:
    """`when` in UTC, the only zone stored (SQLite drops offsets); naive means UTC already."""
    return when.astimezone(UTC) if when.tzinfo is not None else when.replace(tzinfo=UTC)


class Contact(Base):
    """Where notices for a tenant (or, with tenant NULL, for the operators) go."""

    __tablename__ = "notify_contacts"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    tenant: Mapped[str | None] = mapped_column(String(128), default=None)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # email | webhook | slack | teams | discord | …
    url: Mapped[str] = mapped_column(Text)  # the apprise URL, secrets included: never answered
    lang: Mapped[str] = mapped_column(String(8), default="ja")
    # Suricata severity, 1 = most severe: incident notices with severity <= this.
    min_severity: Mapped[int] = mapped_column(Integer, default=3)
    quiet_start: Mapped[str | None] = mapped_column(String(5), default=None)  # "22:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), default=None)  # "07:00"
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tokyo")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (Index("ix_notify_contacts_tenant", "tenant", "deleted_at"),)


class SensorEpisode(Base):
    """One offline spell of one sensor, from the detector's event until it recovers."""

    __tablename__ = "notify_sensor_episodes"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    sensor_id: Mapped[str] = mapped_column(String(128))
    tenant: Mapped[str] = mapped_column(String(128))
    offline_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set once the customer's contacts have been queued their (delayed) notice.
    customer_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                                default=None)
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        UniqueConstraint("sensor_id", "offline_since", name="uq_notify_episode"),
        Index("ix_notify_episodes_open", "recovered_at"),
    )


class Notice(Base):
    """One message to one contact; rendered from `payload` when it is sent."""

    __tablename__ = "notify_notices"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("notify_contacts.id"))
    tenant: Mapped[str | None] = mapped_column(String(128))  # whose incident or sensor
    kind: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sensor_id: Mapped[str | None] = mapped_column(String(128), default=None)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("notify_sensor_episodes.id"),
                                                   default=None)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # escalated notice
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    severity: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # JSON: what the templates render
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer, default=None)  # None: config
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (
        Index("ix_notify_notices_due", "state", "due_at"),
        Index("ix_notify_notices_incident", "incident_id", "contact_id"),
        Index("ix_notify_notices_tenant_id", "tenant", "id"),
        Index("ix_notify_notices_episode", "episode_id"),
    )


class Delivery(Base):
    """One attempt to send one notice, as it went."""

    __tablename__ = "notify_deliveries"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notify_notices.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    http_status: Mapped[int | None] = mapped_column(Integer, default=None)
    seconds: Mapped[float] = mapped_column(Float)
    worker: Mapped[str] = mapped_column(String(64))


class Dispatch(Base):
    """An on-site visit (駆け付け) for an incident: who went, when, why, and how it ended."""

    __tablename__ = "dispatches"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, index=True)
    tenant: Mapped[str] = mapped_column(String(128))
    technician: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    dispatched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_dispatches_tenant_at", "tenant", "dispatched_at"),)
