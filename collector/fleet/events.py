"""Sensor events (offline, recovered, clock skew, ruleset held) as rows of the analysts' feed.

Fleet events are stored as EVE alert records in `alerts`, so the feed, the
event stream and the console page show them with no change: gid 9000
(yamori's own) with one fixed sid per event kind, the sensor's id and tenant,
and a `yamori_fleet` object saying what happened. An analyst filters them with
`sid=9000001` like any rule. The addresses are the sensor's last known uplink
address (src) and 0.0.0.0 (dest), since no traffic is involved.
Does not own: deciding when an event happens (detector.py, repo/heartbeats.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.models import Alert, Sensor
from uplink.ids import new_alert_id

FLEET_GID = 9000
CATEGORY = "Sensor Health"
UNKNOWN_ADDRESS = "0.0.0.0"


@dataclass(slots=True, frozen=True)
class EventKind:
    """One kind of sensor event: its sid, Suricata severity and wording."""

    name: str
    sid: int
    severity: int
    words: str


SENSOR_OFFLINE = EventKind("sensor-offline", 9000001, 2, "offline")
SENSOR_RECOVERED = EventKind("sensor-recovered", 9000002, 3, "recovered")
CLOCK_SKEW = EventKind("clock-skew", 9000003, 3, "clock skew")
# Raised by collector/rulesets/canary.py on the canary sensor whose figures held a bundle.
RULESET_HELD = EventKind("ruleset-held", 9000004, 2, "held")


def signature(kind: EventKind, sensor_id: str) -> str:
    """E.g. `YAMORI SENSOR offline: pi-001`."""
    return f"YAMORI SENSOR {kind.words}: {sensor_id}"


def ruleset_signature(kind: EventKind, version: str, sensor_id: str) -> str:
    """E.g. `YAMORI RULESET held: 2026.11.22.1 on pi-001`."""
    return f"YAMORI RULESET {kind.words}: {version} on {sensor_id}"


def event_alert(kind: EventKind, sensor: Sensor, now: datetime, peer: str | None,
                details: dict[str, Any], text: str | None = None) -> Alert:
    """The `alerts` row for a `kind` event about `sensor` at `now` (UTC).

    `text` replaces the default signature (`signature(kind, sensor_id)`).
    """
    record = _eve(kind, sensor, now, peer or UNKNOWN_ADDRESS, details,
                  text or signature(kind, sensor.sensor_id))
    return Alert(
        alert_id=record["alert_id"], sensor_id=sensor.sensor_id, tenant=sensor.tenant,
        received_at=now, timestamp=record["timestamp"], ts_epoch=now.timestamp(),
        signature_id=kind.sid, gid=FLEET_GID, rev=1, signature=record["alert"]["signature"],
        category=CATEGORY, severity=kind.severity, src_ip=record["src_ip"], src_port=None,
        dest_ip=UNKNOWN_ADDRESS, dest_port=None, proto=record["proto"], app_proto=None,
        flow_id=None, eve=json.dumps(record, separators=(",", ":"), ensure_ascii=False),
    )


def _eve(kind: EventKind, sensor: Sensor, now: datetime, peer: str,
         details: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        # A UUIDv7 like the agents' ids: on PostgreSQL it files the event in
        # its month's partition, dropped with that month by retention.
        "alert_id": new_alert_id(),
        "timestamp": eve_timestamp(now), "event_type": "alert",
        "src_ip": peer, "dest_ip": UNKNOWN_ADDRESS, "proto": "TCP",
        "alert": {"action": "allowed", "gid": FLEET_GID, "signature_id": kind.sid, "rev": 1,
                  "signature": text, "category": CATEGORY,
                  "severity": kind.severity, "metadata": {"yamori_event": [kind.name]}},
        "sensor_id": sensor.sensor_id, "tenant": sensor.tenant,
        "yamori_fleet": {"event": kind.name, "sensor_id": sensor.sensor_id,
                         "sensor_name": sensor.name, **details},
    }


def eve_timestamp(when: datetime) -> str:
    """Suricata's EVE timestamp form: `2024-05-01T02:13:30.000000+0000`."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f%z")
