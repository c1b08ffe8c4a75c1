"""Request dependencies, as `Annotated` aliases for route signatures.

Owns: `StateDep` (this app's AppState), `SessionDep` (one session per
request), `SensorAuth` (the sensor behind `Authorization: Bearer …`) and
`FeedFilterDep` (the feed's query parameters). Does not own: queries (repo/).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from sqlalchemy.orm import Session

from collector.models import Sensor
from collector.repo.alerts import FeedFilter
from collector.repo.sensors import sensor_for_token
from collector.state import AppState
from yamori.errors import IngestError


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.collector
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    with state.database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def authenticated_sensor(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Sensor:
    """The sensor whose bearer token the request carries; 401 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise IngestError("missing bearer token (Authorization: Bearer <token>)", 401)
    sensor = sensor_for_token(session, token.strip())
    if sensor is None:
        raise IngestError("invalid bearer token", 401)
    return sensor


SensorAuth = Annotated[Sensor, Depends(authenticated_sensor)]


def parse_since(text: str | None) -> float | None:
    """`since` as epoch seconds: a number, or an ISO 8601 time (no offset means UTC)."""
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise IngestError(f"since: not an ISO 8601 time or epoch seconds: {text!r}", 422) from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


SINCE_DOC = "event time lower bound: ISO 8601 (no offset = UTC) or epoch seconds"
SEVERITY_DOC = "Suricata severity, 1 = most severe: keeps alerts with severity <= this"
AFTER_DOC = "live cursor: only id > after_id, oldest first"
BEFORE_DOC = "paging cursor: only id < before_id (pass the previous next_before_id)"


def feed_filter(
    since: Annotated[str | None, Query(description=SINCE_DOC)] = None,
    min_severity: Annotated[int | None, Query(ge=1, description=SEVERITY_DOC)] = None,
    sensor: Annotated[str | None, Query(description="only this sensor_id")] = None,
    tenant: Annotated[str | None, Query(description="only this tenant")] = None,
    sid: Annotated[int | None, Query(ge=0, description="only this signature_id")] = None,
    after_id: Annotated[int | None, Query(ge=0, description=AFTER_DOC)] = None,
    before_id: Annotated[int | None, Query(ge=1, description=BEFORE_DOC)] = None,
) -> FeedFilter:
    """The feed filters shared by the JSON feed and the event stream."""
    return FeedFilter(
        since_epoch=parse_since(since), min_severity=min_severity, sensor_id=sensor,
        tenant=tenant, signature_id=sid, after_id=after_id, before_id=before_id,
    )


FeedFilterDep = Annotated[FeedFilter, Depends(feed_filter)]
