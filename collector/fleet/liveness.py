"""Liveness of a sensor from the time of its last heartbeat.

Owns: the three states a sensor that has sent heartbeats can be in — online,
late (nothing for `late_factor` x interval) and offline (nothing for
`offline_factor` x interval) — plus `pending` (enrolled, never heard) and
`revoked`, the thresholds, and the order the sensor board sorts them in.
Does not own: storing states or raising events (detector.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collector.config import CollectorConfig

ONLINE = "online"
LATE = "late"
OFFLINE = "offline"
PENDING = "pending"
REVOKED = "revoked"

# The sensor board shows what needs a human first.
SORT_ORDER = {OFFLINE: 0, LATE: 1, PENDING: 2, ONLINE: 3, REVOKED: 4}


@dataclass(slots=True, frozen=True)
class Thresholds:
    """When a silent sensor becomes late, then offline."""

    interval: float
    late_after: float
    offline_after: float

    @classmethod
    def from_config(cls, config: CollectorConfig) -> Thresholds:
        interval = config.heartbeat_interval_seconds
        return cls(interval, interval * config.heartbeat_late_factor,
                   interval * config.heartbeat_offline_factor)

    def late_cutoff(self, now: datetime) -> datetime:
        """Heartbeats older than this are late."""
        return now - timedelta(seconds=self.late_after)

    def offline_cutoff(self, now: datetime) -> datetime:
        """Heartbeats older than this mean offline."""
        return now - timedelta(seconds=self.offline_after)


def state_at(last_heartbeat: datetime | None, now: datetime, limits: Thresholds) -> str:
    """The state of a sensor whose last heartbeat was at `last_heartbeat`, seen at `now`."""
    if last_heartbeat is None:
        return PENDING
    silent = (now - as_utc(last_heartbeat)).total_seconds()
    if silent >= limits.offline_after:
        return OFFLINE
    if silent >= limits.late_after:
        return LATE
    return ONLINE


def as_utc(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time the collector stores is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
