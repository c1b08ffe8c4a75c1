"""The ruleset tables: published bundles, channels, sensor membership, rollouts.

Owns: `RulesetBundle` (one signed bundle as accepted: version, sha256, size,
manifest, signer, who published it and whether it is held), `ChannelPointer`
(channel -> the version it serves now) with `ChannelChange` (every move of a
pointer, kept), `SensorChannel` (a sensor put in a channel other than
`stable`; absent means stable) and `Rollout` (one bundle offered to one
sensor: when, what it ran before, when it started running it, the canary
figures before and after, the verdict and its evidence).
Does not own: the bundle files (store.py keeps them under rules_dir) or queries.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import Base, CursorId

STABLE = "stable"
CANARY = "canary"
CHANNELS = (CANARY, STABLE)

# Bundle status: a held bundle is rolled back on the canary sensors that had it.
ACTIVE = "active"
HELD = "held"

# Rollout states, from the collector's offer to what the sensor reported.
OFFERED = "offered"
RUNNING = "running"
FAILED = "failed"
REFUSED = "refused"
REPLACED = "replaced"  # the sensor moved on to another bundle
ROLLED_BACK = "rolled-back"  # the sensor went back after the bundle was held

# Canary verdicts.
PASS = "pass"


class RulesetBundle(Base):
    """A signed bundle the collector accepted; its file is `<rules_dir>/<version>.tar.gz`."""

    __tablename__ = "ruleset_bundles"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    manifest: Mapped[str] = mapped_column(Text)  # the verified manifest, JSON
    key_id: Mapped[str] = mapped_column(String(64))
    rule_count: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    held_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    held_reason: Mapped[str | None] = mapped_column(Text, default=None)


class ChannelPointer(Base):
    """The version a channel serves now."""

    __tablename__ = "ruleset_channels"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[str] = mapped_column(ForeignKey("ruleset_bundles.version"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(128))


class ChannelChange(Base):
    """One move of a channel pointer (publish or promote), kept for the history."""

    __tablename__ = "ruleset_channel_history"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    version: Mapped[str] = mapped_column(ForeignKey("ruleset_bundles.version"))
    previous: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(16))  # publish | promote
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by: Mapped[str] = mapped_column(String(128))

    __table_args__ = (Index("ix_ruleset_channel_history_channel_id", "channel", "id"),)


class SensorChannel(Base):
    """A sensor's channel when it is not `stable` (or was moved explicitly)."""

    __tablename__ = "ruleset_sensor_channels"

    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(128))


class Rollout(Base):
    """One bundle offered to one sensor, and what became of it."""

    __tablename__ = "ruleset_rollouts"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(ForeignKey("ruleset_bundles.version"))
    sensor_id: Mapped[str] = mapped_column(ForeignKey("sensors.sensor_id"))
    channel: Mapped[str] = mapped_column(String(32))
    rollback: Mapped[bool] = mapped_column(Boolean, default=False)
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    offered_effective: Mapped[str] = mapped_column(String(128))
    # The bundle the sensor ran when this one was first offered: where a rollback goes.
    previous_bundle: Mapped[str | None] = mapped_column(String(64), default=None)
    state: Mapped[str] = mapped_column(String(16), default=OFFERED)
    state_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    baseline: Mapped[str | None] = mapped_column(Text, default=None)  # Figures, JSON
    after: Mapped[str | None] = mapped_column(Text, default=None)  # Figures, JSON
    verdict: Mapped[str | None] = mapped_column(String(16), default=None)  # pass | held
    evidence: Mapped[str | None] = mapped_column(Text, default=None)  # JSON
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (
        UniqueConstraint("version", "sensor_id", name="uq_ruleset_rollouts_version_sensor"),
        Index("ix_ruleset_rollouts_sensor_id", "sensor_id"),
    )


def loads(text: str | None) -> Any:
    """A JSON column's value (None stays None)."""
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON for a JSON column."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
