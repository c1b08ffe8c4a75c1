"""Channels: which version each channel serves, promotion, and which sensors are canaries.

Owns: the channel pointers (`canary`, `stable`) and the history of their
moves, promotion of a published bundle to `stable` (one call, refused for a
version older than stable's or a held bundle unless forced), and sensor
membership (every sensor is in `stable` unless put in `canary`).
Does not own: accepting bundles (store.py) or deciding offers (offer.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.models import Sensor
from collector.rulesets.models import (
    ACTIVE,
    CANARY,
    CHANNELS,
    HELD,
    STABLE,
    ChannelChange,
    ChannelPointer,
    RulesetBundle,
    SensorChannel,
)
from rules.bundle import is_newer
from yamori.errors import IngestError

log = logging.getLogger(__name__)


def check_channel(channel: str) -> None:
    """422 unless `channel` is one the collector serves."""
    if channel not in CHANNELS:
        raise IngestError(f"unknown channel '{channel}': use one of {', '.join(CHANNELS)}", 422)


def pointer(session: Session, channel: str) -> ChannelPointer | None:
    """The channel's pointer, or None when nothing was ever published to it."""
    return session.get(ChannelPointer, channel)


def channel_bundle(session: Session, channel: str) -> RulesetBundle | None:
    """The bundle `channel` serves now."""
    current = pointer(session, channel)
    return None if current is None else session.get(RulesetBundle, current.version)


def move_pointer(session: Session, channel: str, version: str, action: str, by: str,
                 now: datetime) -> str | None:
    """Point `channel` at `version` and keep the move in the history; the old version."""
    current = pointer(session, channel)
    previous = None if current is None else current.version
    if current is None:
        session.add(ChannelPointer(channel=channel, version=version, updated_at=now,
                                   updated_by=by))
    else:
        current.version, current.updated_at, current.updated_by = version, now, by
    session.add(ChannelChange(channel=channel, version=version, previous=previous,
                              action=action, at=now, by=by))
    return previous


def promote(session: Session, version: str, by: str, now: datetime,
            force: bool = False) -> str | None:
    """Put published bundle `version` on `stable`; commits; returns stable's old version.

    404 for an unknown version, 409 for one not newer than stable's (sensors
    would refuse it as a downgrade) or a held one (unless `force`: the
    operator overrules the canary evidence, and the hold is lifted).
    """
    bundle = session.get(RulesetBundle, version)
    if bundle is None:
        raise IngestError(f"no published ruleset {version}", 404)
    current = pointer(session, STABLE)
    if current is not None and not is_newer(version, current.version):
        raise IngestError(f"version {version} is not newer than {current.version}, "
                          "which stable serves now", 409)
    if bundle.status == HELD and not force:
        raise IngestError(f"version {version} is held by the canary check "
                          f"({bundle.held_reason}); publish a fixed bundle, or force", 409)
    if bundle.status == HELD:
        bundle.status = ACTIVE
    previous = move_pointer(session, STABLE, version, "promote", by, now)
    record_audit(session, by, "ruleset.promote", f"ruleset:{version}",
                 {"previous": previous, "forced": force}, now=now)
    session.commit()
    log.info("ruleset %s promoted to stable by %s", version, by)
    return previous


def channel_history(session: Session, channel: str, limit: int = 20) -> list[ChannelChange]:
    """The channel's latest moves, newest first."""
    query = (select(ChannelChange).where(ChannelChange.channel == channel)
             .order_by(ChannelChange.id.desc()).limit(limit))
    return list(session.scalars(query))


def channel_of(session: Session, sensor_id: str) -> str:
    """The channel a sensor is in (`stable` unless put elsewhere)."""
    row = session.get(SensorChannel, sensor_id)
    return STABLE if row is None else row.channel


def set_sensor_channel(session: Session, sensor_id: str, channel: str, by: str,
                       now: datetime) -> str:
    """Move a sensor to `channel`; commits; returns the channel it was in."""
    check_channel(channel)
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        raise IngestError(f"no sensor '{sensor_id}'", 404)
    row = session.get(SensorChannel, sensor_id)
    before = STABLE if row is None else row.channel
    if row is None:
        session.add(SensorChannel(sensor_id=sensor_id, channel=channel, updated_at=now,
                                  updated_by=by))
    else:
        row.channel, row.updated_at, row.updated_by = channel, now, by
    record_audit(session, by, "sensor.channel", f"sensor:{sensor_id}",
                 {"from": before, "to": channel}, tenant=sensor.tenant, now=now)
    session.commit()
    return before


def canary_sensors(session: Session) -> list[str]:
    """Ids of the sensors in the canary channel."""
    query = (select(SensorChannel.sensor_id).where(SensorChannel.channel == CANARY)
             .order_by(SensorChannel.sensor_id))
    return list(session.scalars(query))
