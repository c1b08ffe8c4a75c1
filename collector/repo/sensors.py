"""Queries on `sensors`: enrollment, token lookup, liveness.

Owns: creating a sensor with a fresh bearer token (only its sha256 is kept),
finding the sensor a token belongs to, and counting sensors. Does not own:
HTTP authentication (api/deps.py) or printing tokens (cli.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from collector.models import Sensor
from yamori.errors import YamoriError


def token_digest(token: str) -> str:
    """The hex sha256 under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_sensor(session: Session, sensor_id: str, tenant: str, name: str = "") -> str:
    """Enroll a sensor and commit; returns its bearer token, which is not stored."""
    if not sensor_id or not tenant:
        raise YamoriError("sensor_id and tenant must not be empty")
    if session.get(Sensor, sensor_id) is not None:
        raise YamoriError(f"sensor '{sensor_id}' already exists")
    token = secrets.token_urlsafe(32)
    session.add(Sensor(
        sensor_id=sensor_id, tenant=tenant, name=name or sensor_id,
        token_sha256=token_digest(token), created_at=datetime.now(UTC),
    ))
    session.commit()
    return token


def sensor_for_token(session: Session, token: str) -> Sensor | None:
    """The sensor whose token this is, or None.

    The lookup is by digest, so response timing can only reveal digest
    prefixes, not the token; the final comparison is constant-time anyway.
    """
    digest = token_digest(token)
    sensor = session.scalar(select(Sensor).where(Sensor.token_sha256 == digest))
    if sensor is None or not hmac.compare_digest(sensor.token_sha256, digest):
        return None
    return sensor


def touch_sensor(session: Session, sensor_id: str, when: datetime) -> None:
    """Record that the sensor was heard from (caller commits)."""
    session.execute(update(Sensor).where(Sensor.sensor_id == sensor_id).values(last_seen_at=when))


def count_sensors(session: Session) -> int:
    """How many sensors are enrolled."""
    return session.scalar(select(func.count()).select_from(Sensor)) or 0
