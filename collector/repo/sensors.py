"""Queries on `sensors`: creation, credentials, revocation, token lookup.

Owns: creating a sensor with a fresh bearer token (only its sha256 is kept),
rotating that token (re-enrollment), revoking a sensor (its token is refused
from the next request on), finding the (unrevoked) sensor a token belongs to,
and counting sensors. Does not own: enrollment tokens (enrollment.py), HTTP
authentication (api/deps.py) or printing tokens (cli.py).
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


def new_credential() -> str:
    """A fresh sensor bearer token (256 bits)."""
    return secrets.token_urlsafe(32)


def create_sensor(session: Session, sensor_id: str, tenant: str, name: str = "",
                  hostname: str | None = None, commit: bool = True) -> str:
    """Create a sensor (and commit, unless told not to); returns its bearer token, not stored."""
    if not sensor_id or not tenant:
        raise YamoriError("sensor_id and tenant must not be empty")
    if session.get(Sensor, sensor_id) is not None:
        raise YamoriError(f"sensor '{sensor_id}' already exists")
    token = new_credential()
    session.add(Sensor(
        sensor_id=sensor_id, tenant=tenant, name=name or sensor_id, hostname=hostname,
        token_sha256=token_digest(token), created_at=datetime.now(UTC),
    ))
    if commit:
        session.commit()
    return token


def rotate_credential(session: Session, sensor: Sensor, hostname: str | None = None) -> str:
    """Give `sensor` a new token (the old one stops working) and lift any revocation.

    Caller commits. Re-enrollment is a deliberate act of the vendor (it needs a
    fresh enrollment token for the sensor's tenant), so it also un-revokes.
    """
    token = new_credential()
    sensor.token_sha256 = token_digest(token)
    sensor.revoked_at = None
    if hostname:
        sensor.hostname = hostname
    return token


def revoke_sensor(session: Session, sensor_id: str, when: datetime | None = None) -> Sensor:
    """Revoke the sensor and commit: its token is refused from the next request on."""
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        raise YamoriError(f"no sensor '{sensor_id}'")
    if sensor.revoked_at is None:
        sensor.revoked_at = when or datetime.now(UTC)
        session.commit()
    return sensor


def sensor_by_hostname(session: Session, tenant: str, hostname: str) -> Sensor | None:
    """The sensor of `tenant` that last enrolled as `hostname` (the newest if several)."""
    stmt = (select(Sensor).where(Sensor.tenant == tenant, Sensor.hostname == hostname)
            .order_by(Sensor.created_at.desc()).limit(1))
    return session.scalar(stmt)


def sensor_for_token(session: Session, token: str) -> Sensor | None:
    """The sensor whose token this is, or None (also when the sensor is revoked).

    The lookup is by digest, so response timing can only reveal digest
    prefixes, not the token; the final comparison is constant-time anyway.
    """
    digest = token_digest(token)
    sensor = session.scalar(select(Sensor).where(Sensor.token_sha256 == digest))
    if sensor is None or not hmac.compare_digest(sensor.token_sha256, digest):
        return None
    # Checked on every request, so a revocation takes effect at once.
    return None if sensor.revoked_at is not None else sensor


def touch_sensor(session: Session, sensor_id: str, when: datetime) -> None:
    """Record that the sensor was heard from (caller commits)."""
    session.execute(update(Sensor).where(Sensor.sensor_id == sensor_id).values(last_seen_at=when))


def count_sensors(session: Session) -> int:
    """How many sensors are enrolled."""
    return session.scalar(select(func.count()).select_from(Sensor)) or 0
