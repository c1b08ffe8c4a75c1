"""The triage tables: incidents, the sensors and notes of each, and saved feed filters.

Owns: `Incident` (one row per group of alerts with the same tenant, (gid,
sid), source and destination close in time: count, first and last seen,
the most severe severity, triage state and assignee), `IncidentSensor`
(which sensors raised its alerts), `IncidentNote` (an analyst's note) and
`SavedFilter` (a user's named feed query string). Times of events are
epoch seconds (Float), as `alerts.ts_epoch`, so that they compare with it.
Does not own: the grouping rule (grouping.py) or queries (repo.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
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


class Incident(Base):
    """A group of alerts an analyst triages as one."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    gid: Mapped[int] = mapped_column(BigInteger)
    signature_id: Mapped[int] = mapped_column(BigInteger)
    src_ip: Mapped[str] = mapped_column(String(64))
    dest_ip: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)  # Suricata's: 1 is the most severe
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    # The highest alerts.id in the incident: the feed's state filter walks
    # incidents by it to find the newest alerts first.
    last_alert_id: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="new")
    assignee: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # First escalation to the customer: their contacts were notified (collector/notify).
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    # The list is newest last_seen first, so each filter leads an index
    # ending in (last_seen, id); ix_incidents_group finds the open incident
    # an arriving alert joins.
    __table_args__ = (
        Index("ix_incidents_group", "tenant", "signature_id", "last_seen"),
        # first_seen rides along so a time range (overlap) is checked in the index.
        Index("ix_incidents_last_seen_id_first", "last_seen", "id", "first_seen"),
        Index("ix_incidents_tenant_last_seen", "tenant", "last_seen", "id"),
        Index("ix_incidents_state_last_seen", "state", "last_seen", "id"),
        Index("ix_incidents_state_last_alert", "state", "last_alert_id"),
        Index("ix_incidents_tenant_state_last_alert", "tenant", "state", "last_alert_id"),
        Index("ix_incidents_assignee_last_seen", "assignee", "last_seen", "id"),
        Index("ix_incidents_sid_last_seen", "signature_id", "last_seen", "id"),
        Index("ix_incidents_category_last_seen", "category", "last_seen", "id"),
        Index("ix_incidents_severity_last_seen", "severity", "last_seen", "id"),
        Index("ix_incidents_src_ip_last_seen", "src_ip", "last_seen", "id"),
        Index("ix_incidents_dest_ip_last_seen", "dest_ip", "last_seen", "id"),
    )


class IncidentSensor(Base):
    """One sensor that raised alerts of one incident."""

    __tablename__ = "incident_sensors"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    sensor_id: Mapped[str] = mapped_column(String(128), primary_key=True)

    __table_args__ = (Index("ix_incident_sensors_sensor", "sensor_id", "incident_id"),)


class IncidentNote(Base):
    """An analyst's note on an incident."""

    __tablename__ = "incident_notes"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    author: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_incident_notes_incident", "incident_id", "id"),)


class SavedFilter(Base):
    """A user's named feed filter: the query string of GET /api/v1/alerts or /incidents."""

    __tablename__ = "saved_filters"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_filters_user_name"),)
