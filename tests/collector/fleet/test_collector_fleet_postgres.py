"""Enrollment, heartbeats, offline detection and recovery on PostgreSQL (127.0.0.1:5432)."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.fleet.detector import detect
from collector.fleet.events import SENSOR_OFFLINE, SENSOR_RECOVERED
from collector.fleet.testing import admin_headers, fleet_config, heartbeat_body
from collector.main import create_app
from uplink.schema import ENROLL_PATH, HEARTBEAT_PATH

DIALECT = next((d for m, d in (("psycopg", "postgresql+psycopg"),
                               ("psycopg2", "postgresql+psycopg2"))
                if importlib.util.find_spec(m) is not None), None)
pytestmark = pytest.mark.skipif(DIALECT is None, reason="no PostgreSQL driver installed")


@pytest.fixture
def pg_url() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    base = f"{DIALECT}://postgres@127.0.0.1:5432/test"
    schema = f"yamori_fleet_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {exc}")
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_fleet_cycle_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    app = create_app(fleet_config(tmp_path, database_url=pg_url, offline_check_seconds=3600.0))
    with TestClient(app) as client:
        token = client.post("/api/v1/enrollment-tokens", json={"tenant": "t"},
                            headers=admin_headers()).json()["token"]
        data = client.post(ENROLL_PATH, json={"token": token, "hostname": "pg-box"}).json()
        auth = {"Authorization": f"Bearer {data['credential']}"}
        assert client.post(ENROLL_PATH, json={"token": token, "hostname": "x"}).status_code == 401
        assert client.post(HEARTBEAT_PATH, json=heartbeat_body("pg-box"),
                           headers=auth).status_code == 200
        with app.state.collector.database.session() as session:
            moved = detect(session, app.state.fleet.limits,
                           datetime.now(UTC) + timedelta(seconds=500))
        assert [t.state for t in moved] == ["offline"]
        client.post(HEARTBEAT_PATH, json=heartbeat_body("pg-box"), headers=auth)
        sids = [a["alert"]["signature_id"] for a in client.get("/api/v1/alerts").json()["alerts"]]
        assert sids == [SENSOR_RECOVERED.sid, SENSOR_OFFLINE.sid]
        board = client.get("/api/v1/sensors", headers=admin_headers()).json()["sensors"]
        assert board[0]["state"] == "online"
