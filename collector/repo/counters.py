"""Queries on `sensor_counters`: the latest queue accounting each agent reported.

Owns: keeping the newest AgentCounters per sensor (sent with every batch) and
turning them into what the SOC reads about a sensor's delivery: backlog
(alerts still queued on the box), lag (age of its oldest queued alert, as of
the report) and lost (evicted by the quota plus refused as poison; corrupt
queue files moved aside are reported separately, their contents unknown).
Does not own: HTTP or the console pages that show them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from collector.models import SensorCounters
from uplink.schema import AgentCounters


@dataclass(slots=True, frozen=True)
class DeliveryHealth:
    """One sensor's delivery, as its agent last reported it."""

    sensor_id: str
    reported_at: datetime
    backlog: int
    lag_seconds: float
    lost: int
    corrupt_queues: int
    counters: dict[str, Any]


def record_counters(session: Session, sensor_id: str, counters: AgentCounters,
                    when: datetime) -> None:
    """Keep `counters` as the sensor's latest report (caller commits)."""
    data = json.dumps(counters.model_dump(mode="json", exclude_none=True), sort_keys=True)
    row = session.get(SensorCounters, sensor_id)
    if row is None:
        session.add(SensorCounters(sensor_id=sensor_id, reported_at=when, counters=data))
    else:
        row.reported_at, row.counters = when, data


def delivery_health(session: Session, sensor_id: str) -> DeliveryHealth | None:
    """Backlog, lag and loss from the sensor's latest report, or None if it never sent one."""
    row = session.get(SensorCounters, sensor_id)
    if row is None:
        return None
    data: dict[str, Any] = json.loads(row.counters)
    return DeliveryHealth(
        sensor_id=sensor_id, reported_at=row.reported_at,
        backlog=int(data.get("queued", 0)),
        lag_seconds=float(data.get("oldest_queued_age") or 0.0),
        lost=int(data.get("evicted", 0)) + int(data.get("poison") or 0),
        corrupt_queues=int(data.get("corrupt") or 0),
        counters=data,
    )
