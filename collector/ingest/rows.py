"""Turning validated wire records into `alerts` rows.

Owns: stamping the authenticated sensor's id and tenant on each record (the
body is never trusted for them), parsing the EVE timestamp into epoch seconds,
and the range checks the wire schema leaves open but the columns need
(ports, uint32 sid/gid/rev, int64 flow_id). Does not own: validation of the
schema itself (uplink/schema.py) or storing (store.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collector.models import Sensor
from uplink.schema import AlertRecord
from yamori.errors import IngestError

UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1
PORT_MAX = 65535


def alert_row(index: int, record: AlertRecord, sensor: Sensor, now: datetime) -> dict[str, Any]:
    """The `alerts` row for record number `index` of a batch."""
    _check_ranges(index, record)
    # Assigning marks the fields as set, so the dump below carries them; dumping
    # straight to JSON in pydantic-core is ~4x model_dump + json.dumps.
    record.sensor_id, record.tenant = sensor.sensor_id, sensor.tenant
    info = record.alert
    return {
        "alert_id": record.alert_id, "sensor_id": sensor.sensor_id, "tenant": sensor.tenant,
        "received_at": now, "timestamp": record.timestamp,
        "ts_epoch": event_epoch(index, record.timestamp),
        "signature_id": info.signature_id, "gid": info.gid, "rev": info.rev,
        "signature": info.signature, "category": info.category, "severity": info.severity,
        "src_ip": record.src_ip, "src_port": record.src_port,
        "dest_ip": record.dest_ip, "dest_port": record.dest_port,
        "proto": record.proto, "app_proto": record.app_proto, "flow_id": record.flow_id,
        "eve": record.model_dump_json(exclude_unset=True, by_alias=True),
    }


def event_epoch(index: int, timestamp: str) -> float:
    """EVE's `2024-01-02T03:04:05.123456+0900` as epoch seconds; no offset means UTC."""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError as exc:
        raise _invalid(index, "timestamp", f"not an ISO 8601 time: {timestamp!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _check_ranges(index: int, record: AlertRecord) -> None:
    bounds: list[tuple[str, int | None, int]] = [
        ("src_port", record.src_port, PORT_MAX),
        ("dest_port", record.dest_port, PORT_MAX),
        ("flow_id", record.flow_id, INT64_MAX),
        ("alert.signature_id", record.alert.signature_id, UINT32_MAX),
        ("alert.gid", record.alert.gid, UINT32_MAX),
        ("alert.rev", record.alert.rev, UINT32_MAX),
    ]
    for field, value, high in bounds:
        if value is not None and not 0 <= value <= high:
            raise _invalid(index, field, f"must be 0..{high}, got {value}")


def _invalid(index: int, field: str, why: str) -> IngestError:
    return IngestError(f"invalid batch: alerts[{index}].{field}: {why}", 422)
