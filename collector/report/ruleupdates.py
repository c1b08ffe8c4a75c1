"""The rule updates the tenant's sensors applied during the month.

Owns: finding each change of the ruleset a sensor ran — where its heartbeats'
`rules_version` changed from one heartbeat to the next (LAG in the database;
the heartbeat before the month's first counts if it is at most a day older)
— and what the collector knows of it: the rollout record of that bundle for
that sensor (channel, canary rollback, rule count). A rollout that started
running in the month but whose change the heartbeats do not show (history
pruned, say) is listed at its `running_since`. Does not own: rollouts
(collector/rulesets) or the heartbeats (collector/repo/heartbeats.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.models import HeartbeatRecord, Sensor
from collector.report.period import ReportPeriod
from collector.report.sql import json_text
from collector.rulesets.models import Rollout, RulesetBundle

LOOKBACK = timedelta(days=1)


@dataclass(slots=True, frozen=True)
class RuleUpdate:
    """A sensor started running another ruleset."""

    sensor_id: str
    sensor_name: str
    at: datetime  # UTC: the first heartbeat that reported it (or the rollout's running_since)
    from_version: str | None
    to_version: str | None
    channel: str | None  # the rollout's channel when the collector offered it
    rollback: bool
    rule_count: int | None


@dataclass(slots=True, frozen=True)
class _Rollout:
    version: str
    sensor_id: str
    channel: str
    rollback: bool
    running_since: datetime | None
    previous: str | None
    rule_count: int


def rule_updates(session: Session, tenant: str, period: ReportPeriod) -> tuple[RuleUpdate, ...]:
    """The ruleset changes of `tenant`'s sensors in `period`, oldest first."""
    names = dict(session.execute(select(Sensor.sensor_id, Sensor.name)
                                 .where(Sensor.tenant == tenant)).all())
    if not names:
        return ()
    rollouts = {(r.sensor_id, r.version): r for r in _rollouts(session, list(names), period)}
    found: list[RuleUpdate] = []
    seen: set[tuple[str, str]] = set()
    for sensor_id, at, old, new in _changes(session, list(names), period):
        rollout = rollouts.get((sensor_id, bundle_of(new)))
        if rollout is not None:
            seen.add((sensor_id, rollout.version))
        found.append(_update(names[sensor_id], sensor_id, as_utc(at), old, new, rollout))
    for key, rollout in rollouts.items():
        since = rollout.running_since
        if key not in seen and since is not None and period.start <= since < period.until:
            found.append(_update(names[rollout.sensor_id], rollout.sensor_id, since,
                                 rollout.previous, rollout.version, rollout))
    return tuple(sorted(found, key=lambda u: (u.at, u.sensor_id)))


def bundle_of(version: str | None) -> str:
    """The bundle part of an effective version ("2026.10.20-1+o1a2b" -> "2026.10.20-1")."""
    return (version or "").split("+", 1)[0]


def _changes(session: Session, sensor_ids: list[str],
             period: ReportPeriod) -> list[tuple[str, datetime, str | None, str | None]]:
    version = json_text(HeartbeatRecord.heartbeat, "rules_version")
    by, order = HeartbeatRecord.sensor_id, (HeartbeatRecord.received_at, HeartbeatRecord.id)
    beats = (select(HeartbeatRecord.sensor_id, HeartbeatRecord.received_at,
                    version.label("version"),
                    func.lag(version).over(partition_by=by, order_by=order).label("previous"),
                    func.lag(HeartbeatRecord.id).over(partition_by=by, order_by=order)
                    .label("previous_id"))
             .where(HeartbeatRecord.sensor_id.in_(sensor_ids),
                    HeartbeatRecord.received_at >= period.start - LOOKBACK,
                    HeartbeatRecord.received_at < period.until)
             .subquery("beats"))
    query = (select(beats.c.sensor_id, beats.c.received_at, beats.c.previous, beats.c.version)
             .where(beats.c.received_at >= period.start, beats.c.previous_id.is_not(None),
                    beats.c.version.is_distinct_from(beats.c.previous))
             .order_by(beats.c.received_at))
    return [(s, at, old, new) for s, at, old, new in session.execute(query)]


def _rollouts(session: Session, sensor_ids: list[str], period: ReportPeriod) -> list[_Rollout]:
    query = (select(Rollout, RulesetBundle.rule_count)
             .join(RulesetBundle, RulesetBundle.version == Rollout.version)
             .where(Rollout.sensor_id.in_(sensor_ids),
                    Rollout.running_since >= period.start - LOOKBACK,
                    Rollout.running_since < period.until))
    return [_Rollout(r.version, r.sensor_id, r.channel, r.rollback,
                     as_utc(r.running_since) if r.running_since else None, r.previous_bundle,
                     count) for r, count in session.execute(query)]


def _update(name: str, sensor_id: str, at: datetime, old: str | None, new: str | None,
            rollout: _Rollout | None) -> RuleUpdate:
    return RuleUpdate(
        sensor_id=sensor_id, sensor_name=name, at=at, from_version=old, to_version=new,
        channel=rollout.channel if rollout else None,
        rollback=rollout.rollback if rollout else False,
        rule_count=rollout.rule_count if rollout else None)
