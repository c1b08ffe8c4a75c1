"""A sensor's alert rate and engine cost over a window, from its heartbeat history.

Owns: reading the counters each heartbeat carries (`engine_health`:
`decoder.pkts`, `detect.alert`, and `detect.seconds` from the builtin
engine; Suricata reports no detection time, so there the cost is the box's
CPU time, `host.cpu_percent` x the interval, which is a fair stand-in for
a before/after ratio on the same box), turning cumulative counters into
per-window totals (a counter that went down was reset by an engine restart:
its new value is all that was counted since), and `Figures`: packets,
alerts, alerts per packet, engine seconds per packet.
Does not own: deciding what the figures mean (canary.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.models import HeartbeatRecord

DETECT_SECONDS = "detect.seconds"
HOST_CPU = "host.cpu"


@dataclass(slots=True, frozen=True)
class Sample:
    """The counters of one heartbeat, at the collector's time of receipt."""

    at: float  # epoch seconds
    packets: int | None
    alerts: int | None
    engine_seconds: float | None  # cumulative detection time (builtin engine)
    cpu_percent: float | None  # the box's CPU use since its previous heartbeat


def sample_of(received_at: datetime, heartbeat: Mapping[str, Any]) -> Sample:
    """The counters a stored heartbeat carries; missing ones are None."""
    health = heartbeat.get("engine_health") or {}
    host = heartbeat.get("host") or {}
    packets = _number(health.get("decoder.pkts"))
    if packets is None:
        packets = _number(heartbeat.get("packets"))
    alerts, seconds = _number(health.get("detect.alert")), _number(health.get(DETECT_SECONDS))
    return Sample(at=as_utc(received_at).timestamp(),
                  packets=None if packets is None else int(packets),
                  alerts=None if alerts is None else int(alerts),
                  engine_seconds=seconds, cpu_percent=_number(host.get("cpu_percent")))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


@dataclass(slots=True, frozen=True)
class Figures:
    """What a sensor did over a window of heartbeats."""

    samples: int
    seconds: float
    packets: int
    alerts: int
    engine_seconds: float | None
    cost_source: str | None  # DETECT_SECONDS or HOST_CPU; None when neither was reported

    @property
    def alerts_per_packet(self) -> float | None:
        return self.alerts / self.packets if self.packets else None

    @property
    def engine_seconds_per_packet(self) -> float | None:
        if not self.packets or self.engine_seconds is None:
            return None
        return self.engine_seconds / self.packets

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with the derived rates."""
        return {"samples": self.samples, "seconds": round(self.seconds, 3),
                "packets": self.packets, "alerts": self.alerts,
                "engine_seconds": self.engine_seconds, "cost_source": self.cost_source,
                "alerts_per_packet": self.alerts_per_packet,
                "alerts_per_second": self.alerts / self.seconds if self.seconds else None,
                "engine_seconds_per_packet": self.engine_seconds_per_packet}


def figures(samples: Sequence[Sample]) -> Figures | None:
    """Totals over consecutive samples that both carry packets and alerts; None if none do."""
    pairs = [(a, b) for a, b in zip(samples, samples[1:], strict=False)
             if None not in (a.packets, b.packets, a.alerts, b.alerts)]
    if not pairs:
        return None
    source = _cost_source(pairs)
    return Figures(
        samples=len(pairs) + 1,
        seconds=sum(b.at - a.at for a, b in pairs),
        packets=int(sum(_delta(a.packets, b.packets) for a, b in pairs)),
        alerts=int(sum(_delta(a.alerts, b.alerts) for a, b in pairs)),
        engine_seconds=None if source is None else sum(_cost(a, b, source) for a, b in pairs),
        cost_source=source)


def _delta(old: float | None, new: float | None) -> float:
    assert old is not None and new is not None
    return new - old if new >= old else new  # a reset counter restarted from zero


def _cost_source(pairs: Sequence[tuple[Sample, Sample]]) -> str | None:
    if all(a.engine_seconds is not None and b.engine_seconds is not None for a, b in pairs):
        return DETECT_SECONDS
    if all(b.cpu_percent is not None for _, b in pairs):
        return HOST_CPU
    return None


def _cost(a: Sample, b: Sample, source: str) -> float:
    if source == DETECT_SECONDS:
        return _delta(a.engine_seconds, b.engine_seconds)
    assert b.cpu_percent is not None
    return b.cpu_percent / 100.0 * max(b.at - a.at, 0.0)


def samples_before(session: Session, sensor_id: str, before: datetime,
                   limit: int) -> list[Sample]:
    """The sensor's last `limit` heartbeats received before `before`, oldest first."""
    query = (select(HeartbeatRecord)
             .where(HeartbeatRecord.sensor_id == sensor_id, HeartbeatRecord.received_at < before)
             .order_by(HeartbeatRecord.id.desc()).limit(limit))
    return [_sample(r) for r in reversed(list(session.scalars(query)))]


def samples_since(session: Session, sensor_id: str, since: datetime,
                  limit: int) -> list[Sample]:
    """The sensor's heartbeats received at or after `since`: the last `limit`, oldest first."""
    query = (select(HeartbeatRecord)
             .where(HeartbeatRecord.sensor_id == sensor_id,
                    HeartbeatRecord.received_at >= since)
             .order_by(HeartbeatRecord.id.desc()).limit(limit))
    return [_sample(r) for r in reversed(list(session.scalars(query)))]


def _sample(record: HeartbeatRecord) -> Sample:
    return sample_of(record.received_at, json.loads(record.heartbeat))
