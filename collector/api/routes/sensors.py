"""The sensor board (GET /api/v1/sensors) and, for admins, history and revocation.

Owns: the HTTP shape of the fleet view — every sensor with its state
(offline first), last heartbeat, versions, packets and drops, queue backlog
and lost alerts. Staff (admins, analysts, the admin bearer token) see every
tenant's sensors, a customer viewer only their own tenant's. One sensor's
heartbeat history and revoking a sensor (its next request is refused) stay
admin-only. Does not own: the queries (repo/heartbeats.py, repo/sensors.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from collector.api.deps import SessionDep, tenant_scope
from collector.auth.deps import CurrentUser
from collector.auth.principal import Principal
from collector.fleet.admin import AdminAuth, FleetDep, FleetState
from collector.fleet.liveness import as_utc
from collector.models import Sensor
from collector.repo.heartbeats import history, sensor_board, utcnow
from collector.repo.sensors import revoke_sensor
from yamori.errors import IngestError

router = APIRouter(prefix="/api/v1/sensors", tags=["fleet"])


@router.get("")
def list_sensors(user: CurrentUser, session: SessionDep, fleet: FleetDep) -> dict[str, Any]:
    """The sensors you may see, offline first, then late, pending, online, revoked."""
    now = utcnow()
    return {"server_time": now.isoformat(), "sensors": visible_board(session, fleet, user, now)}


def visible_board(session: Session, fleet: FleetState, user: Principal,
                  now: datetime) -> list[dict[str, Any]]:
    """The sensor board as `user` may see it (a customer: their tenant's sensors only)."""
    scope = tenant_scope(user)
    board = sensor_board(session, fleet.limits, now)
    return board if scope is None else [entry for entry in board if entry["tenant"] == scope]


@router.get("/{sensor_id}/heartbeats", dependencies=[AdminAuth])
def sensor_heartbeats(sensor_id: str, session: SessionDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The sensor's latest heartbeats, newest first (admins)."""
    _sensor(session, sensor_id)
    return {"sensor_id": sensor_id, "heartbeats": history(session, sensor_id, limit)}


@router.post("/{sensor_id}/revoke", dependencies=[AdminAuth])
def revoke(sensor_id: str, session: SessionDep) -> dict[str, Any]:
    """Revoke the sensor: its token is refused from its next request on (admins)."""
    _sensor(session, sensor_id)
    sensor = revoke_sensor(session, sensor_id)
    assert sensor.revoked_at is not None
    return {"sensor_id": sensor_id, "revoked_at": as_utc(sensor.revoked_at).isoformat()}


def _sensor(session: Session, sensor_id: str) -> Sensor:
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        raise IngestError(f"no sensor '{sensor_id}'", 404)
    return sensor
