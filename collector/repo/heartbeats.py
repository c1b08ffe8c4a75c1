"""Queries on `sensor_status` and `heartbeats`: recording heartbeats, the sensor board.

Owns: storing a heartbeat (the last state per sensor, a history row, the
queue counters it carries), measuring the sensor's clock skew, the
offline -> online transition with its recovery event (in the same
transaction, conditional on the stored state, so it is raised once), pruning
old history, and the sensor board (every sensor with its state, sorted
offline first). Does not own: detecting silence (fleet/detector.py) or HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from collector.fleet import events
from collector.fleet.liveness import (
    OFFLINE,
    ONLINE,
    REVOKED,
    SORT_ORDER,
    Thresholds,
    as_utc,
    state_at,
)
from collector.models import HeartbeatRecord, Sensor, SensorStatus
from collector.repo.counters import delivery_health, record_counters
from collector.repo.sensors import touch_sensor
from uplink.schema import Heartbeat
from yamori.errors import IngestError


@dataclass(slots=True, frozen=True)
class Recorded:
    """What recording a heartbeat found out."""

    clock_skew: float
    clock_skew_flagged: bool
    recovered: bool


def clock_skew(sent_at: str, received: datetime) -> float:
    """Seconds the sender's clock is ahead of ours (negative: behind); 422 if unparsable."""
    try:
        sent = datetime.fromisoformat(sent_at)
    except ValueError as exc:
        raise IngestError(f"sent_at: not an ISO 8601 time: {sent_at!r}", 422) from exc
    if sent.tzinfo is None:
        raise IngestError("sent_at: needs a UTC offset (the skew check compares clocks)", 422)
    return (sent - received).total_seconds()


def record_heartbeat(session: Session, sensor: Sensor, beat: Heartbeat, peer: str | None,
                     now: datetime, skew_max: float) -> Recorded:
    """Store `beat` as the sensor's last state and in the history; commits."""
    skew = clock_skew(beat.sent_at, now)
    flagged = abs(skew) > skew_max
    data = beat.model_dump_json(by_alias=True, exclude_none=True)
    status = session.get(SensorStatus, sensor.sensor_id)
    recovered = status is not None and _leave_offline(session, sensor.sensor_id)
    if status is None:
        status = SensorStatus(sensor_id=sensor.sensor_id, state=ONLINE, state_since=now)
        session.add(status)
    elif recovered or status.state != ONLINE:
        status.state, status.state_since = ONLINE, now
    _fill(status, beat, peer, now, skew, flagged, data)
    session.add(HeartbeatRecord(sensor_id=sensor.sensor_id, received_at=now,
                                clock_skew=skew, heartbeat=data))
    if beat.counters is not None:
        record_counters(session, sensor.sensor_id, beat.counters, now)
    touch_sensor(session, sensor.sensor_id, now)
    if recovered:
        session.add(events.event_alert(events.SENSOR_RECOVERED, sensor, now, peer,
                                       {"clock_skew": skew}))
    session.commit()
    return Recorded(skew, flagged, recovered)


def _leave_offline(session: Session, sensor_id: str) -> bool:
    # Conditional on the stored state: of two racing heartbeats one raises the event.
    stmt = (update(SensorStatus)
            .where(SensorStatus.sensor_id == sensor_id, SensorStatus.state == OFFLINE)
            .values(state=ONLINE).execution_options(synchronize_session=False))
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _fill(status: SensorStatus, beat: Heartbeat, peer: str | None, now: datetime,
          skew: float, flagged: bool, data: str) -> None:
    status.last_heartbeat_at, status.peer = now, peer
    status.version, status.rules_version, status.uptime = (
        beat.version, beat.rules_version, beat.uptime)
    status.clock_skew, status.clock_skew_flagged, status.heartbeat = skew, flagged, data


def prune_history(session: Session, older_than: datetime) -> int:
    """Delete history rows received before `older_than`; commits; returns how many."""
    result = session.execute(delete(HeartbeatRecord)
                             .where(HeartbeatRecord.received_at < older_than))
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def history(session: Session, sensor_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The sensor's latest heartbeats, newest first."""
    stmt = (select(HeartbeatRecord).where(HeartbeatRecord.sensor_id == sensor_id)
            .order_by(HeartbeatRecord.id.desc()).limit(limit))
    return [{"received_at": as_utc(r.received_at).isoformat(), "clock_skew": r.clock_skew,
             "heartbeat": json.loads(r.heartbeat)} for r in session.scalars(stmt)]


def sensor_board(session: Session, limits: Thresholds, now: datetime) -> list[dict[str, Any]]:
    """Every sensor with its state, sorted offline, late, pending, online, revoked."""
    rows = session.execute(select(Sensor, SensorStatus)
                           .outerjoin(SensorStatus, SensorStatus.sensor_id == Sensor.sensor_id))
    board = [_board_entry(session, sensor, status, limits, now) for sensor, status in rows]
    # Within a state, the longest silent first.
    board.sort(key=lambda e: (SORT_ORDER[e["state"]], e["last_heartbeat_at"] or "",
                              e["sensor_id"]))
    return board


def _board_entry(session: Session, sensor: Sensor, status: SensorStatus | None,
                 limits: Thresholds, now: datetime) -> dict[str, Any]:
    last = as_utc(status.last_heartbeat_at) if status is not None else None
    state = REVOKED if sensor.revoked_at is not None else state_at(last, now, limits)
    beat: dict[str, Any] = json.loads(status.heartbeat) if status is not None else {}
    delivery = delivery_health(session, sensor.sensor_id)
    return {
        "sensor_id": sensor.sensor_id, "tenant": sensor.tenant, "name": sensor.name,
        "hostname": sensor.hostname, "state": state,
        "last_heartbeat_at": last.isoformat() if last else None,
        "silent_seconds": (now - last).total_seconds() if last else None,
        "version": beat.get("version"), "rules_version": beat.get("rules_version"),
        "uptime": beat.get("uptime"), "engine": beat.get("engine", {}),
        "packets": beat.get("packets"), "drops": beat.get("drops"), "host": beat.get("host", {}),
        "clock_skew": status.clock_skew if status is not None else None,
        "clock_skew_flagged": bool(status.clock_skew_flagged) if status is not None else False,
        "queue_backlog": delivery.backlog if delivery else None,
        "queue_lag_seconds": delivery.lag_seconds if delivery else None,
        "lost_alerts": delivery.lost if delivery else None,
        "revoked_at": as_utc(sensor.revoked_at).isoformat() if sensor.revoked_at else None,
    }


def history_cutoff(now: datetime, days: float) -> datetime:
    """The oldest received_at kept when history is kept `days` days."""
    return now - timedelta(days=days)


def utcnow() -> datetime:
    """Now, in UTC (the only zone the collector stores)."""
    return datetime.now(UTC)
