"""Fixtures of the store tests: a database URL on each backend, and alert rows.

`store_url`: an empty database, SQLite file or PostgreSQL schema (the
`pg_url` fixture of tests/conftest.py). `kit`: `kit.uuid7_at(moment)` (an
alert id made then), `kit.add_sensor(session, ...)` and `kit.row(alert_id,
made_at, ...)`, a row for `collector.repo.alerts.insert_alert_rows`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from collector.models import Sensor
from uplink.ids import uuid7_from


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


def uuid7_at(moment: datetime, n: int = 0) -> str:
    """A UUIDv7 alert id made at `moment` (n varies its counter)."""
    return str(uuid7_from(int(moment.timestamp() * 1000), n, 0x1234))


def add_sensor(session: Session, sensor_id: str = "pi-001", tenant: str = "tanaka-kogyo") -> None:
    session.add(Sensor(sensor_id=sensor_id, tenant=tenant, name=sensor_id,
                       token_sha256=f"{sensor_id:0>64}"[-64:], created_at=datetime.now(UTC)))
    session.commit()


def alert_row(alert_id: str, made_at: datetime, sensor_id: str = "pi-001",
              tenant: str = "tanaka-kogyo", sid: int = 2019401) -> dict[str, Any]:
    eve = {"alert_id": alert_id, "timestamp": made_at.isoformat(), "event_type": "alert",
           "src_ip": "192.168.1.23", "dest_ip": "203.0.113.9",
           "alert": {"signature_id": sid, "signature": "ET POLICY beacon", "severity": 2}}
    return {"alert_id": alert_id, "sensor_id": sensor_id, "tenant": tenant,
            "received_at": datetime.now(UTC), "timestamp": made_at.isoformat(),
            "ts_epoch": made_at.timestamp(), "signature_id": sid, "gid": 1, "rev": 1,
            "signature": "ET POLICY beacon", "category": "Policy", "severity": 2,
            "src_ip": "192.168.1.23", "src_port": 49152, "dest_ip": "203.0.113.9",
            "dest_port": 443, "proto": "TCP", "app_proto": "tls", "flow_id": 1,
            "eve": json.dumps(eve), "incident_id": None}


class StoreKit:
    uuid7_at = staticmethod(uuid7_at)
    add_sensor = staticmethod(add_sensor)
    row = staticmethod(alert_row)


@pytest.fixture
def kit() -> type[StoreKit]:
    return StoreKit
