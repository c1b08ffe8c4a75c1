"""What a heartbeat's RulesetStatus says about the rollouts of one sensor.

Owns: moving rollout records along as the sensor reports — `running` (with
`running_since`, the collector's time of the first heartbeat that reported
the bundle running: the canary's before/after split), `replaced` or
`rolled-back` when it runs something else again, and `failed`/`refused` with
the sensor's reason when an update did not go through (the running ruleset
stays, the operator sees why). Does not own: offers (offer.py) or verdicts
(canary.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collector.rulesets.models import (
    FAILED,
    HELD,
    REFUSED,
    REPLACED,
    ROLLED_BACK,
    RUNNING,
    Rollout,
    RulesetBundle,
)
from collector.rulesets.offer import running_bundle
from uplink.schema import RulesetStatus

log = logging.getLogger(__name__)
NO_REASON = "(the sensor gave no reason)"


def track_status(session: Session, sensor_id: str, status: RulesetStatus | None,
                 now: datetime) -> None:
    """Update `sensor_id`'s rollout records from one heartbeat's status; the caller commits."""
    if status is None:
        return
    running = running_bundle(status)
    offered = status.offered.split("+", 1)[0] if status.offered else None
    for row in _rows(session, sensor_id, running, offered):
        if row.version == running:
            _enter(row, RUNNING, now, None)
        elif row.state == RUNNING:
            bundle = session.get(RulesetBundle, row.version)
            left = ROLLED_BACK if bundle is not None and bundle.status == HELD else REPLACED
            _enter(row, left, now, None)
        elif row.version == offered and status.state in (FAILED, REFUSED):
            if _enter(row, status.state, now, status.reason or NO_REASON):
                log.warning("sensor %s %s ruleset %s: %s", sensor_id, status.state,
                            row.version, row.reason)


def _rows(session: Session, sensor_id: str, running: str | None,
          offered: str | None) -> list[Rollout]:
    named = [v for v in (running, offered) if v is not None]
    query = select(Rollout).where(Rollout.sensor_id == sensor_id,
                                  or_(Rollout.state == RUNNING, Rollout.version.in_(named)))
    return list(session.scalars(query))


def _enter(row: Rollout, state: str, now: datetime, reason: str | None) -> bool:
    """Set the row's state (and reason) if it changes; True when it did."""
    if row.state == state and row.reason == reason:
        return False
    if row.state != state and state == RUNNING:
        row.running_since = now  # running again after a spell of something else
    row.state, row.state_at, row.reason = state, now, reason
    return True
