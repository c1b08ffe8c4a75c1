"""Monitoring coverage per sensor: how much of the month each box was watching.

Owns: turning the heartbeat history into uptime. A sensor counts as
monitoring during the interval between two of its heartbeats when they are no
further apart than the offline threshold (heartbeat_interval_seconds x
heartbeat_offline_factor, the same threshold that marks it offline on the
sensor board); every other moment of its period is offline. Its period is
the month from its enrollment (a box enrolled mid-month counts from then)
until it was revoked or the month (or, for the running month, the report)
ended. The interval sums and the long gaps are computed in the database
(LAG over each sensor's heartbeats). Heartbeats older than the history
kept (heartbeat_history_days) are pruned: when that reaches into the month,
the month is measured from the oldest heartbeat still kept (or the retention
cutoff, if earlier), and says so, rather than calling the pruned days
offline. Does not own: liveness states (collector/fleet) or pruning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.models import HeartbeatRecord, Sensor
from collector.report.period import ReportPeriod
from collector.report.sql import epoch_seconds

# The report lists a sensor's longest outages; the totals count all of them.
OUTAGES_LISTED = 10


@dataclass(slots=True, frozen=True)
class Outage:
    """A stretch with no heartbeats closer together than the offline threshold."""

    start: datetime  # UTC
    end: datetime  # UTC

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0


@dataclass(slots=True, frozen=True)
class SensorCoverage:
    """One sensor's month: its period, the seconds it was monitoring, its outages."""

    sensor_id: str
    name: str
    enrolled_at: datetime  # UTC
    period_start: datetime  # UTC
    period_end: datetime  # UTC
    monitored_seconds: float
    heartbeats: int
    outage_count: int  # outages longer than the offline threshold
    outages: tuple[Outage, ...]  # the longest OUTAGES_LISTED, in time order

    @property
    def period_seconds(self) -> float:
        return max((self.period_end - self.period_start).total_seconds(), 0.0)

    @property
    def offline_seconds(self) -> float:
        return self.period_seconds - self.monitored_seconds

    @property
    def offline_hours(self) -> float:
        return self.offline_seconds / 3600.0

    @property
    def uptime_percent(self) -> float | None:
        """Monitored share of the period; None when the period is empty."""
        if self.period_seconds <= 0:
            return None
        return 100.0 * self.monitored_seconds / self.period_seconds


@dataclass(slots=True, frozen=True)
class Coverage:
    """Every sensor of the tenant that was enrolled during some of the month."""

    sensors: tuple[SensorCoverage, ...]
    offline_after_seconds: float
    history_from: datetime | None  # set when pruned history cut the start of the period
    @property
    def uptime_percent(self) -> float | None:
        """The tenant's monitored share over all its sensors' periods; None without any."""
        period = sum(s.period_seconds for s in self.sensors)
        if period <= 0:
            return None
        return 100.0 * sum(s.monitored_seconds for s in self.sensors) / period

    @property
    def offline_hours(self) -> float:
        return sum(s.offline_hours for s in self.sensors)


def tenant_coverage(session: Session, tenant: str, period: ReportPeriod, offline_after: float,
                    retention_cutoff: datetime | None = None) -> Coverage:
    """Coverage of each of `tenant`'s sensors over `period`.

    `retention_cutoff`: heartbeats received before it may have been pruned
    (None: the history is kept for ever).
    """
    cut = _history_start(session, period, retention_cutoff)
    found = []
    for sensor in _sensors(session, tenant, period):
        start = max(period.start, as_utc(sensor.created_at), cut or period.start)
        end = min(period.until, as_utc(sensor.revoked_at) if sensor.revoked_at else period.until)
        found.append(_sensor_coverage(session, sensor, start, end, offline_after))
    return Coverage(tuple(found), offline_after, cut)


def _history_start(session: Session, period: ReportPeriod,
                   retention_cutoff: datetime | None) -> datetime | None:
    """Where the kept history starts, when pruning may have taken part of the period."""
    if retention_cutoff is None or retention_cutoff <= period.start:
        return None
    oldest = session.scalar(select(func.min(HeartbeatRecord.received_at)))
    # Pruning is by received_at for every sensor at once: the oldest row left
    # marks where it stopped. Anything later than the cutoff was never pruned.
    start = retention_cutoff if oldest is None else min(as_utc(oldest), retention_cutoff)
    return start if start > period.start else None


def _sensors(session: Session, tenant: str, period: ReportPeriod) -> list[Sensor]:
    query = (select(Sensor)
             .where(Sensor.tenant == tenant, Sensor.created_at < period.until,
                    (Sensor.revoked_at.is_(None)) | (Sensor.revoked_at > period.start))
             .order_by(Sensor.sensor_id))
    return list(session.scalars(query))


def _sensor_coverage(session: Session, sensor: Sensor, start: datetime, end: datetime,
                     offline_after: float) -> SensorCoverage:
    beats = _beats(sensor.sensor_id, start, end, offline_after)
    lo_e, hi_e = start.timestamp(), end.timestamp()
    # Each interval between two heartbeats, clipped to the sensor's period.
    lo = case((beats.c.prev < lo_e, lo_e), else_=beats.c.prev)
    hi = case((beats.c.t > hi_e, hi_e), else_=beats.c.t)
    short = and_(beats.c.t - beats.c.prev <= offline_after, hi > lo)
    long = and_(beats.c.t - beats.c.prev > offline_after, hi > lo)
    totals = select(func.coalesce(func.sum(case((short, hi - lo), else_=0.0)), 0.0),
                    func.coalesce(func.sum(case((and_(beats.c.t >= lo_e, beats.c.t < hi_e), 1),
                                                else_=0)), 0),
                    func.coalesce(func.sum(case((long, 1), else_=0)), 0),
                    func.min(beats.c.t), func.max(beats.c.t))
    monitored, count, long_count, first, last = session.execute(totals).one()
    longest = select(lo, hi).where(long).order_by((hi - lo).desc()).limit(OUTAGES_LISTED)
    gaps = [Outage(_utc(a), _utc(b)) for a, b in session.execute(longest)]
    edges = [o for o in _edge_gaps(start, end, first, last) if _long(o, offline_after)]
    listed = sorted(gaps + edges, key=lambda o: o.end - o.start, reverse=True)[:OUTAGES_LISTED]
    period = max((end - start).total_seconds(), 0.0)
    return SensorCoverage(
        sensor_id=sensor.sensor_id, name=sensor.name, enrolled_at=as_utc(sensor.created_at),
        period_start=start, period_end=end,
        monitored_seconds=min(round(float(monitored), 3), period),
        heartbeats=int(count), outage_count=int(long_count) + len(edges),
        outages=tuple(sorted(listed, key=lambda o: o.start)))


def _beats(sensor_id: str, start: datetime, end: datetime, offline_after: float) -> Any:
    """The sensor's heartbeats around [start, end) as (t, prev) epoch seconds."""
    margin = timedelta(seconds=offline_after)
    at = epoch_seconds(HeartbeatRecord.received_at)
    previous = func.lag(at).over(partition_by=HeartbeatRecord.sensor_id,
                                 order_by=(HeartbeatRecord.received_at, HeartbeatRecord.id))
    query: Select[Any] = (
        select(at.label("t"), previous.label("prev"))
        .where(HeartbeatRecord.sensor_id == sensor_id,
               HeartbeatRecord.received_at >= start - margin,
               HeartbeatRecord.received_at < end + margin))
    return query.subquery("beats")


def _edge_gaps(start: datetime, end: datetime, first: float | None,
               last: float | None) -> list[Outage]:
    """Before the first and after the last heartbeat of the window (all of it with none)."""
    if first is None or last is None:
        return [Outage(start, end)] if end > start else []
    edges = []
    if _utc(first) > start:
        edges.append(Outage(start, min(_utc(first), end)))
    if _utc(last) < end:
        edges.append(Outage(max(_utc(last), start), end))
    return edges


def _long(outage: Outage, offline_after: float) -> bool:
    return (outage.end - outage.start).total_seconds() > offline_after


def _utc(epoch: float) -> datetime:
    # SQLite keeps milliseconds; the float arithmetic around julianday() adds noise below them.
    return datetime.fromtimestamp(round(float(epoch), 3), UTC)
