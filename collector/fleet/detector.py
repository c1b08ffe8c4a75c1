"""The offline detector: moves silent sensors to late, then offline, and raises the event.

Owns: `detect(session, limits, now)` — one pass, callable from tests with any
clock — and `run_detector`, the background task the app's lifespan starts
(one pass every `offline_check_seconds`, also pruning heartbeat history).
Of several collector processes on one database only the leader runs passes
(fleet/leader.py: an advisory lock on PostgreSQL, a file lock on SQLite);
another takes over at its next pass once the leader dies. Each transition
is also a conditional UPDATE on the stored state (compare-and-set),
committed with its event (and the operators' offline notices,
collector/notify), so even two overlapping leaders raise an event once.
New events ring the live feed's doorbell (collector/fanout.py).
Does not own: the recovery event (raised by the next heartbeat, in
repo/heartbeats.py) or the thresholds (liveness.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.db import Database
from collector.fanout import announce_alerts
from collector.fleet import events
from collector.fleet.leader import LeaderLock, leader_lock
from collector.fleet.liveness import LATE, OFFLINE, ONLINE, Thresholds, as_utc
from collector.models import Sensor, SensorStatus
from collector.notify.api import enqueue_sensor_notice
from collector.repo.heartbeats import history_cutoff, prune_history, utcnow

log = logging.getLogger(__name__)


@dataclass(slots=True, frozen=True)
class Transition:
    """A sensor that changed state in one pass."""

    sensor_id: str
    state: str


def detect(session: Session, limits: Thresholds, now: datetime) -> list[Transition]:
    """One pass at time `now`: online -> late, online/late -> offline (with its event)."""
    moved = [Transition(s, OFFLINE) for s in _silent(session, limits.offline_cutoff(now),
                                                      (ONLINE, LATE))
             if _go_offline(session, s, limits, now)]
    moved += [Transition(s, LATE) for s in _silent(session, limits.late_cutoff(now), (ONLINE,))
              if _move(session, s, (ONLINE,), LATE, now)]
    session.commit()
    return moved


def _silent(session: Session, cutoff: datetime, states: tuple[str, ...]) -> list[str]:
    stmt = (select(SensorStatus.sensor_id)
            .join(Sensor, Sensor.sensor_id == SensorStatus.sensor_id)
            .where(SensorStatus.state.in_(states), SensorStatus.last_heartbeat_at < cutoff,
                   Sensor.revoked_at.is_(None)))
    return list(session.scalars(stmt))


def _move(session: Session, sensor_id: str, states: tuple[str, ...], to: str,
          now: datetime) -> bool:
    stmt = (update(SensorStatus)
            .where(SensorStatus.sensor_id == sensor_id, SensorStatus.state.in_(states))
            .values(state=to, state_since=now)
            .execution_options(synchronize_session=False))
    return bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]


def _go_offline(session: Session, sensor_id: str, limits: Thresholds, now: datetime) -> bool:
    if not _move(session, sensor_id, (ONLINE, LATE), OFFLINE, now):
        return False  # another collector process got there first
    sensor = session.get(Sensor, sensor_id)
    status = session.get(SensorStatus, sensor_id)
    assert sensor is not None and status is not None
    last = as_utc(status.last_heartbeat_at)
    details = {"last_heartbeat_at": last.isoformat(),
               "silent_seconds": round((now - last).total_seconds(), 3),
               "offline_after_seconds": limits.offline_after}
    session.add(events.event_alert(events.SENSOR_OFFLINE, sensor, now, status.peer, details))
    # Operators hear of it now, the customer later (collector/notify/sensors.py).
    enqueue_sensor_notice(session, sensor_id, sensor.tenant, "offline", since=now, now=now)
    log.warning("sensor %s offline: no heartbeat since %s", sensor_id, last.isoformat())
    return True


JOB = "offline-detector"


async def run_detector(database: Database, limits: Thresholds, every: float,
                       history_days: float, lock: LeaderLock | None = None) -> None:
    """Run `detect` every `every` seconds while leading, until cancelled (the app's lifespan).

    `lock` defaults to the database's leader lock for the detector.
    """
    lock = lock or leader_lock(database, JOB)
    try:
        while True:
            try:
                if await anyio.to_thread.run_sync(lock.holds):
                    await anyio.to_thread.run_sync(_pass, database, limits, history_days)
            except Exception:  # a database hiccup must not end detection for good
                log.exception("offline detector pass failed; retrying")
            await anyio.sleep(every)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lock.release)


def _pass(database: Database, limits: Thresholds, history_days: float) -> None:
    now = utcnow()
    with database.session() as session:
        if any(moved.state == OFFLINE for moved in detect(session, limits, now)):
            announce_alerts(session)
        prune_history(session, history_cutoff(now, history_days))
