"""The collector's tables, as typed SQLAlchemy 2.0 declarative classes.

Owns: `sensors` (who may send), `alerts` (what they sent; `id` is the feed
cursor; `incident_id` the incident it was grouped into at ingest),
`signatures` (each distinct rule message seen, for the feed's text search),
`batches` (what each batch_id was answered, so a replay answers the
same), `sensor_counters` (the latest queue accounting each agent sent),
`enrollment_tokens` (single-use, expiring; only their sha256), `sensor_status`
(the last heartbeat and the liveness state of each sensor) and `heartbeats`
(their history).
Types are portable between SQLite and PostgreSQL: Suricata's sid, gid and
rev are uint32, hence BIGINT. Does not own: engines and sessions (db.py)
or queries (repo/).
"""

from __future__ import annotations

from datetime import datetime

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
CursorId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of every collector table."""


class Sensor(Base):
    """An enrolled box; only the sha256 of its bearer token is kept."""

    __tablename__ = "sensors"

    sensor_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(256))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Fleet (issue 6): the hostname it enrolled with (re-enrollment of the same
    # box finds it by this) and when it was revoked (its token is refused from then on).
    hostname: Mapped[str | None] = mapped_column(String(253), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Alert(Base):
    """One EVE alert record, with the columns the feed filters on pulled out."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True)
    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"))
    tenant: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timestamp: Mapped[str] = mapped_column(String(64))
    ts_epoch: Mapped[float] = mapped_column(Float)
    signature_id: Mapped[int] = mapped_column(BigInteger)
    gid: Mapped[int] = mapped_column(BigInteger)
    rev: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    src_ip: Mapped[str] = mapped_column(String(64))
    src_port: Mapped[int | None] = mapped_column(Integer)
    dest_ip: Mapped[str] = mapped_column(String(64))
    dest_port: Mapped[int | None] = mapped_column(Integer)
    proto: Mapped[str] = mapped_column(String(32))
    app_proto: Mapped[str | None] = mapped_column(String(64))
    flow_id: Mapped[int | None] = mapped_column(BigInteger)
    eve: Mapped[str] = mapped_column(Text)
    # Set at ingest (collector/incidents/grouping.py); None for fleet events,
    # which the detector stores directly.
    incident_id: Mapped[int | None] = mapped_column(
        CursorId, ForeignKey("incidents.id"), default=None)

    # The feed pages by id within one filter, so each filter leads an index
    # that ends in id: an equality filter then reads its first page straight
    # off the index, newest first, and stops (bench/console_feed.py shows the
    # plans). ts_epoch serves the time range.
    __table_args__ = (
        Index("ix_alerts_sensor_id_id", "sensor_id", "id"),
        Index("ix_alerts_tenant_id", "tenant", "id"),
        Index("ix_alerts_signature_id_id", "signature_id", "id"),
        Index("ix_alerts_severity_id", "severity", "id"),
        Index("ix_alerts_ts_epoch", "ts_epoch"),
        Index("ix_alerts_category_id", "category", "id"),
        Index("ix_alerts_src_ip_id", "src_ip", "id"),
        Index("ix_alerts_dest_ip_id", "dest_ip", "id"),
        Index("ix_alerts_incident_id_id", "incident_id", "id"),
        # A customer viewer's feed is always one tenant's: their sid filter and
        # signature search read this rather than every tenant's alerts of the sids.
        Index("ix_alerts_tenant_sid_id", "tenant", "signature_id", "id"),
        # A tenant's or a sensor's time range reads these, not all its alerts
        # newest first (a sensor offline for a day has none in the last day).
        Index("ix_alerts_tenant_ts_epoch", "tenant", "ts_epoch"),
        Index("ix_alerts_sensor_ts_epoch", "sensor_id", "ts_epoch"),
    )


class Signature(Base):
    """One rule message as alerts carried it: (gid, sid, rev) with its text and category.

    Upserted at ingest. Signature search runs on this small table (thousands
    of rows) and filters alerts by the sids found, rather than scanning the
    text of a million alerts.
    """

    __tablename__ = "signatures"

    gid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sid: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    rev: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)


class Batch(Base):
    """The answer given to one batch_id, replayed verbatim on a retry."""

    __tablename__ = "batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received: Mapped[int] = mapped_column(Integer)
    stored: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)


class SensorCounters(Base):
    """The latest AgentCounters a sensor sent (JSON), for backlog, lag and loss per sensor."""

    __tablename__ = "sensor_counters"

    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"), primary_key=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    counters: Mapped[str] = mapped_column(Text)


class EnrollmentToken(Base):
    """A single-use, expiring token that lets one box enroll into `tenant`."""

    __tablename__ = "enrollment_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    used_by: Mapped[str | None] = mapped_column(String(128), default=None)


class SensorStatus(Base):
    """A sensor's last heartbeat and liveness state (online, late, offline)."""

    __tablename__ = "sensor_status"

    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    peer: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str | None] = mapped_column(String(128))
    uptime: Mapped[float] = mapped_column(Float)
    clock_skew: Mapped[float] = mapped_column(Float)
    clock_skew_flagged: Mapped[bool] = mapped_column(Boolean)
    heartbeat: Mapped[str] = mapped_column(Text)  # the last Heartbeat, JSON


class HeartbeatRecord(Base):
    """One heartbeat as received (history; pruned after heartbeat_history_days)."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    clock_skew: Mapped[float] = mapped_column(Float)
    heartbeat: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_heartbeats_sensor_id_id", "sensor_id", "id"),)
