"""Idempotent insert (ON CONFLICT DO NOTHING, counted by rowcount) on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from collector.db import Database, open_database
from collector.main import create_app
from collector.models import Alert
from collector.repo.alerts import insert_new_alerts
from collector.repo.sensors import create_sensor
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'c.sqlite'}")
    yield database
    database.dispose()


def pg_db() -> Iterator[Database]:
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg not installed")
    schema = f"yamori_ins_{uuid.uuid4().hex[:12]}"
    admin = open_database(PG_BASE, create=False)
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server skips
        admin.dispose()
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not usable: {exc}")
    database = open_database(f"{PG_BASE}?options=-csearch_path%3D{schema}")
    yield database
    database.dispose()
    with admin.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    factory = sqlite_db(tmp_path) if request.param == "sqlite" else pg_db()
    yield from factory


def row(alert_id: str) -> dict[str, Any]:
    return {"alert_id": alert_id, "sensor_id": "pi-001", "tenant": "t",
            "received_at": datetime.now(UTC), "timestamp": "2024-05-01T02:13:00+09:00",
            "ts_epoch": 0.0, "signature_id": 1, "gid": 1, "rev": 1, "signature": "s",
            "category": "c", "severity": 1, "src_ip": "10.0.0.1", "src_port": 1,
            "dest_ip": "10.0.0.2", "dest_port": 2, "proto": "TCP", "app_proto": None,
            "flow_id": None, "eve": "{}"}


def stored_ids(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Alert.alert_id).order_by(Alert.id)))


def test_new_rows_are_stored_and_counted(database: Database) -> None:
    with database.session() as session:
        create_sensor(session, "pi-001", "t")
        assert insert_new_alerts(session, [row("a"), row("b")]) == 2
        session.commit()
    assert stored_ids(database) == ["a", "b"]


def test_known_and_repeated_ids_are_skipped_and_not_counted(database: Database) -> None:
    with database.session() as session:
        create_sensor(session, "pi-001", "t")
        insert_new_alerts(session, [row("a")])
        assert insert_new_alerts(session, [row("a"), row("b"), row("b"), row("c")]) == 2
        session.commit()
    assert stored_ids(database) == ["a", "b", "c"]


def test_no_rows_is_zero(database: Database) -> None:
    with database.session() as session:
        assert insert_new_alerts(session, []) == 0


def test_batch_id_of_another_sensor_is_409_and_stores_nothing(tmp_path: Path) -> None:
    app = create_app(temp_config(tmp_path))
    with TestClient(app) as client:
        mine, theirs = enroll(app), enroll(app, "pi-002", "other")
        batch = sample_batch([sample_alert(1)], batch_id="shared-id")
        first = client.post(BATCHES_PATH, json=batch,
                            headers={"Authorization": f"Bearer {mine}"})
        reuse = sample_batch([sample_alert(2)], sensor_id="pi-002", batch_id="shared-id")
        answer = client.post(BATCHES_PATH, json=reuse,
                             headers={"Authorization": f"Bearer {theirs}"})
        with app.state.collector.database.session() as session:
            count = session.scalar(select(func.count()).select_from(Alert))
    assert first.status_code == 200
    assert answer.status_code == 409
    assert count == 1
