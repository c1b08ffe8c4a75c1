"""The sensor board and revocation (admin): GET /api/v1/sensors, POST …/{id}/revoke.

Owns: the HTTP shape of the fleet's admin view — every sensor with its state
(offline first), last heartbeat, versions, queue backlog and lost alerts; one
sensor's heartbeat history; revoking a sensor (its next request is refused).
Does not own: the queries (repo/heartbeats.py, repo/sensors.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from collector.api.deps import SessionDep
from collector.fleet.admin import AdminAuth, FleetDep
from collector.fleet.liveness import as_utc
from collector.models import Sensor
from collector.repo.heartbeats import history, sensor_board, utcnow
from collector.repo.sensors import revoke_sensor
from yamori.errors import IngestError

router = APIRouter(prefix="/api/v1/sensors", tags=["fleet"], dependencies=[AdminAuth])


@router.get("")
def list_sensors(session: SessionDep, fleet: FleetDep) -> dict[str, Any]:
    """Every sensor, offline first, then late, pending, online, revoked."""
    now = utcnow()
    return {"server_time": now.isoformat(), "sensors": sensor_board(session, fleet.limits, now)}


@router.get("/{sensor_id}/heartbeats")
def sensor_heartbeats(sensor_id: str, session: SessionDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The sensor's latest heartbeats, newest first."""
    _sensor(session, sensor_id)
    return {"sensor_id": sensor_id, "heartbeats": history(session, sensor_id, limit)}


@router.post("/{sensor_id}/revoke")
def revoke(sensor_id: str, session: SessionDep) -> dict[str, Any]:
    """Revoke the sensor: its token is refused from its next request on."""
    _sensor(session, sensor_id)
    sensor = revoke_sensor(session, sensor_id)
    assert sensor.revoked_at is not None
    return {"sensor_id": sensor_id, "revoked_at": as_utc(sensor.revoked_at).isoformat()}


def _sensor(session: SessionDep, sensor_id: str) -> Sensor:
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        raise IngestError(f"no sensor '{sensor_id}'", 404)
    return sensor
