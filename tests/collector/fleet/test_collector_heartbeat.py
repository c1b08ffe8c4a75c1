"""POST /api/v1/heartbeat, the offline detector with a test clock, and the sensor board."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from collector.fleet import events
from collector.fleet.admin import FleetState
from collector.fleet.detector import detect
from collector.fleet.liveness import LATE, OFFLINE, ONLINE, PENDING, Thresholds, state_at
from collector.fleet.testing import admin_headers, fleet_config, heartbeat_body
from collector.main import create_app
from collector.models import HeartbeatRecord, SensorStatus
from collector.repo.heartbeats import clock_skew
from collector.state import AppState
from collector.testing import enroll
from uplink.schema import HEARTBEAT_PATH
from yamori.errors import IngestError

LIMITS = Thresholds(interval=60, late_after=120, offline_after=180)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # A long detector period: these tests drive detect() with their own clock.
    app = create_app(fleet_config(tmp_path, offline_check_seconds=3600.0))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def token(client: TestClient) -> str:
    return enroll(client.app, "pi-001", "tanaka-kogyo")  # type: ignore[arg-type]


def state(client: TestClient) -> AppState:
    return client.app.state.collector  # type: ignore[attr-defined, no-any-return]


def beat(client: TestClient, token: str, **fields: object) -> dict[str, object]:
    answer = client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001", **fields),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def run_detector(client: TestClient, now: datetime) -> list[tuple[str, str]]:
    fleet: FleetState = client.app.state.fleet  # type: ignore[attr-defined]
    with state(client).database.session() as session:
        return [(t.sensor_id, t.state) for t in detect(session, fleet.limits, now)]


def fleet_alerts(client: TestClient) -> list[dict[str, object]]:
    return [a for a in client.get("/api/v1/alerts", headers=admin_headers()).json()["alerts"]
            if a["alert"]["gid"] == events.FLEET_GID]


def test_answer_paces_and_names_no_ruleset_yet(client: TestClient, token: str) -> None:
    answer = beat(client, token)
    assert answer["next_interval"] == 60.0 and answer["ruleset"] is None
    assert datetime.fromisoformat(str(answer["server_time"])).tzinfo is not None
    assert answer["clock_skew_flagged"] is False


def test_last_state_and_history_are_kept(client: TestClient, token: str) -> None:
    beat(client, token, uptime=1.0)
    beat(client, token, uptime=2.0)
    with state(client).database.session() as session:
        status = session.get(SensorStatus, "pi-001")
        assert status is not None and status.uptime == 2.0 and status.state == ONLINE
        assert session.query(HeartbeatRecord).count() == 2


def test_heartbeat_as_another_sensor_is_403(client: TestClient, token: str) -> None:
    answer = client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-002"),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_heartbeat_into_another_tenant_is_403(client: TestClient, token: str) -> None:
    answer = client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001", tenant="other"),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_heartbeat_without_token_is_401(client: TestClient, token: str) -> None:
    assert client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001")).status_code == 401


def test_far_off_clock_is_flagged(client: TestClient, token: str) -> None:
    answer = beat(client, token, sent_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    assert answer["clock_skew_flagged"] is True
    assert 3590 < float(answer["clock_skew"]) < 3610  # type: ignore[arg-type]
    board = client.get("/api/v1/sensors", headers=admin_headers()).json()["sensors"]
    assert board[0]["clock_skew_flagged"] is True


def test_sent_at_without_offset_is_422(client: TestClient, token: str) -> None:
    answer = client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-001",
                                                             sent_at="2024-05-01T02:13:30"),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422


@given(st.integers(min_value=-10**7, max_value=10**7), st.integers(min_value=-12, max_value=14))
def test_clock_skew_is_independent_of_the_senders_zone(offset: int, zone_hours: int) -> None:
    now = datetime(2024, 5, 1, 2, 13, 30, tzinfo=UTC)
    from datetime import timezone
    sent = (now + timedelta(seconds=offset)).astimezone(timezone(timedelta(hours=zone_hours)))
    assert clock_skew(sent.isoformat(), now) == offset


def test_clock_skew_rejects_garbage() -> None:
    with pytest.raises(IngestError):
        clock_skew("yesterday", datetime.now(UTC))


@pytest.mark.parametrize(("silent", "expected"), [
    (0, ONLINE), (119.9, ONLINE), (120, LATE), (179.9, LATE), (180, OFFLINE), (10**6, OFFLINE)])
def test_state_thresholds(silent: float, expected: str) -> None:
    now = datetime(2024, 5, 1, tzinfo=UTC)
    assert state_at(now - timedelta(seconds=silent), now, LIMITS) == expected


def test_never_heard_sensor_is_pending() -> None:
    assert state_at(None, datetime.now(UTC), LIMITS) == PENDING


def test_detector_marks_late_then_offline_and_raises_one_event(client: TestClient,
                                                                token: str) -> None:
    beat(client, token)
    now = datetime.now(UTC)
    assert run_detector(client, now + timedelta(seconds=30)) == []
    assert run_detector(client, now + timedelta(seconds=125)) == [("pi-001", LATE)]
    assert run_detector(client, now + timedelta(seconds=185)) == [("pi-001", OFFLINE)]
    assert run_detector(client, now + timedelta(seconds=500)) == []
    [event] = fleet_alerts(client)
    alert = event["alert"]
    assert isinstance(alert, dict)
    assert (alert["signature_id"], alert["severity"]) == (events.SENSOR_OFFLINE.sid, 2)
    assert alert["signature"] == "YAMORI SENSOR offline: pi-001"
    assert (event["sensor_id"], event["tenant"]) == ("pi-001", "tanaka-kogyo")


def test_next_heartbeat_after_offline_raises_recovered(client: TestClient, token: str) -> None:
    beat(client, token)
    run_detector(client, datetime.now(UTC) + timedelta(seconds=200))
    beat(client, token)
    beat(client, token)  # only the first heartbeat back recovers
    sids = [a["alert"]["signature_id"] for a in fleet_alerts(client)]  # type: ignore[index]
    assert sids == [events.SENSOR_RECOVERED.sid, events.SENSOR_OFFLINE.sid]
    with state(client).database.session() as session:
        status = session.get(SensorStatus, "pi-001")
        assert status is not None and status.state == ONLINE


def test_fleet_events_reach_the_stream_feed_filter_by_sid(client: TestClient,
                                                          token: str) -> None:
    beat(client, token)
    run_detector(client, datetime.now(UTC) + timedelta(seconds=200))
    page = client.get("/api/v1/alerts", params={"sid": events.SENSOR_OFFLINE.sid},
                      headers=admin_headers()).json()
    assert len(page["alerts"]) == 1
    assert page["alerts"][0]["yamori_fleet"]["event"] == "sensor-offline"


def test_revoked_sensor_never_goes_offline(client: TestClient, token: str) -> None:
    beat(client, token)
    client.post("/api/v1/sensors/pi-001/revoke", headers=admin_headers())
    assert run_detector(client, datetime.now(UTC) + timedelta(seconds=500)) == []


def test_board_lists_offline_first_with_backlog_and_loss(client: TestClient, token: str) -> None:
    enroll(client.app, "pi-000", "other")  # type: ignore[arg-type]  # pending
    quiet = enroll(client.app, "pi-quiet", "tanaka-kogyo")  # type: ignore[arg-type]
    client.post(HEARTBEAT_PATH, json=heartbeat_body("pi-quiet"),
                headers={"Authorization": f"Bearer {quiet}"})
    with state(client).database.session() as session:
        status = session.get(SensorStatus, "pi-quiet")
        assert status is not None
        status.last_heartbeat_at = datetime.now(UTC) - timedelta(seconds=400)
        session.commit()
    beat(client, token)
    board = client.get("/api/v1/sensors", headers=admin_headers()).json()["sensors"]
    assert [(s["sensor_id"], s["state"]) for s in board] == [
        ("pi-quiet", OFFLINE), ("pi-000", PENDING), ("pi-001", ONLINE)]
    online = board[2]
    assert (online["queue_backlog"], online["lost_alerts"]) == (7, 2)
    assert (online["version"], online["rules_version"]) == ("0.1.0", "2024.05.01-1")


def test_board_needs_admin(client: TestClient) -> None:
    assert client.get("/api/v1/sensors").status_code == 401


def test_history_endpoint_newest_first(client: TestClient, token: str) -> None:
    beat(client, token, uptime=1.0)
    beat(client, token, uptime=2.0)
    data = client.get("/api/v1/sensors/pi-001/heartbeats", headers=admin_headers()).json()
    assert [h["heartbeat"]["uptime"] for h in data["heartbeats"]] == [2.0, 1.0]
    assert json.dumps(data)  # serialisable as is
