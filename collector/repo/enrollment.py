"""Enrollment tokens: issuing them and exchanging one for a sensor credential.

Owns: single-use, expiring enrollment tokens for a tenant (only their sha256 is
stored), and redeeming one: the token is consumed by a conditional UPDATE, so
two boxes racing with the same token cannot both succeed; the box becomes a
new sensor, or — when its tenant already has a sensor with the requested id
or (none requested) the same hostname — that sensor gets a new credential
(re-enrollment rotates it). Does not own: HTTP (api/routes/enrollment.py) or
the collector's CA certificate (fleet/state.py).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from collector.models import EnrollmentToken, Sensor
from collector.repo.sensors import (
    create_sensor,
    rotate_credential,
    sensor_by_hostname,
    token_digest,
)
from uplink.schema import SENSOR_ID_PATTERN
from yamori.errors import IngestError, YamoriError

TOKEN_PREFIX = "ye1_"  # recognisable in a leaked paste or a secret scanner
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(slots=True, frozen=True)
class IssuedToken:
    """An enrollment token as shown once to the vendor."""

    token: str
    tenant: str
    expires_at: datetime


@dataclass(slots=True, frozen=True)
class Enrolled:
    """The outcome of a redeemed token."""

    sensor_id: str
    tenant: str
    credential: str
    rotated: bool


def issue_token(session: Session, tenant: str, ttl_seconds: float,
                now: datetime | None = None) -> IssuedToken:
    """Create and commit an enrollment token for `tenant`, valid for `ttl_seconds`."""
    if not tenant or len(tenant) > 128:
        raise YamoriError("tenant must be 1..128 characters")
    if ttl_seconds <= 0:
        raise YamoriError("ttl must be greater than 0")
    now = now or datetime.now(UTC)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=ttl_seconds)
    session.add(EnrollmentToken(token_sha256=token_digest(token), tenant=tenant,
                                created_at=now, expires_at=expires))
    session.commit()
    return IssuedToken(token, tenant, expires)


def redeem(session: Session, token: str, hostname: str, sensor_id: str | None,
           now: datetime | None = None) -> Enrolled:
    """Consume `token` and enroll (or re-enroll) the box; commits. 401 if the token is unusable."""
    now = now or datetime.now(UTC)
    row = _consume(session, token_digest(token), now)
    sensor = _existing(session, row.tenant, hostname, sensor_id)
    if sensor is not None:
        credential, rotated = rotate_credential(session, sensor, hostname), True
        chosen = sensor.sensor_id
    else:
        chosen = sensor_id or _free_id(session, hostname)
        credential = create_sensor(session, chosen, row.tenant, hostname, hostname, commit=False)
        rotated = False
    row.used_by = chosen
    session.commit()
    return Enrolled(chosen, row.tenant, credential, rotated)


def _consume(session: Session, digest: str, now: datetime) -> EnrollmentToken:
    # One conditional UPDATE: of two concurrent redeemers exactly one sees rowcount 1.
    stmt = (update(EnrollmentToken)
            .where(EnrollmentToken.token_sha256 == digest, EnrollmentToken.used_at.is_(None),
                   EnrollmentToken.expires_at > now)
            .values(used_at=now)
            # SQLite hands back naive datetimes: no in-Python evaluation of the WHERE.
            .execution_options(synchronize_session=False))
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        # One answer for unknown, used and expired: no oracle for token guessing.
        raise IngestError("enrollment token is invalid, used or expired", 401)
    row = session.get(EnrollmentToken, digest)
    assert row is not None
    session.refresh(row)  # the UPDATE above bypassed the identity map
    return row


def _existing(session: Session, tenant: str, hostname: str,
              sensor_id: str | None) -> Sensor | None:
    if sensor_id is None:
        return sensor_by_hostname(session, tenant, hostname)
    sensor = session.get(Sensor, sensor_id)
    if sensor is not None and sensor.tenant != tenant:
        session.rollback()  # the token stays unused: the vendor can retry with another id
        raise IngestError(f"sensor id '{sensor_id}' belongs to another tenant", 409)
    return sensor


def _free_id(session: Session, hostname: str) -> str:
    """The hostname as a sensor id, with a random suffix when it is taken (or unusable)."""
    base = _NOT_ID_CHARS.sub("-", hostname).strip("-._")[:100] or "sensor"
    candidate = base
    while not re.match(SENSOR_ID_PATTERN, candidate) or session.get(Sensor, candidate) is not None:
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate
