"""Enrollment, heartbeats, offline detection and recovery on PostgreSQL (127.0.0.1:5432)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from collector.fleet.detector import detect
from collector.fleet.events import SENSOR_OFFLINE, SENSOR_RECOVERED
from collector.fleet.testing import admin_headers, fleet_config, heartbeat_body
from collector.main import create_app
from uplink.schema import ENROLL_PATH, HEARTBEAT_PATH


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
        feed = client.get("/api/v1/alerts", headers=admin_headers()).json()
        sids = [a["alert"]["signature_id"] for a in feed["alerts"]]
        assert sids == [SENSOR_RECOVERED.sid, SENSOR_OFFLINE.sid]
        board = client.get("/api/v1/sensors", headers=admin_headers()).json()["sensors"]
        assert board[0]["state"] == "online"
