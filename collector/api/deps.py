"""Request dependencies, as `Annotated` aliases for route signatures.

Owns: `StateDep` (this app's AppState), `SessionDep` (one session per
request), `SensorAuth` (the sensor behind `Authorization: Bearer …`),
`FeedFilterDep` (the feed's query parameters), `ScopedFeedFilter` (the same
with the signed-in user's tenant scope) and the query parameter types the
feed and the incident list share. Does not own: queries (repo/) or
authenticating users (collector/auth).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy.orm import Session

from collector.auth.deps import CurrentUser
from collector.auth.principal import Principal
from collector.incidents.signatures import MAX_SEARCH_CHARS
from collector.incidents.states import STATES, check_state
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


def parse_time(name: str, text: str | None) -> float | None:
    """A time parameter as epoch seconds: a number, or ISO 8601 (no offset means UTC)."""
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise IngestError(f"{name}: not an ISO 8601 time or epoch seconds: {text!r}", 422) from exc
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def parse_since(text: str | None) -> float | None:
    """`since` as epoch seconds: a number, or an ISO 8601 time (no offset means UTC)."""
    return parse_time("since", text)


def parse_address(name: str, text: str | None) -> str | None:
    """An IPv4 or IPv6 address parameter, as given; 422 when it is not one."""
    if text is None or not text.strip():
        return None
    try:
        ipaddress.ip_address(text.strip())
    except ValueError as exc:
        raise IngestError(f"{name}: not an IP address: {text!r}", 422) from exc
    return text.strip()


def parse_search(text: str | None) -> str | None:
    """The signature search text, or None when blank."""
    if text is None:
        return None
    return text.strip() or None


def check_range(since: float | None, until: float | None) -> None:
    if since is not None and until is not None and until <= since:
        raise IngestError("until: must be later than since", 422)


SINCE_DOC = "event time lower bound: ISO 8601 (no offset = UTC) or epoch seconds"
UNTIL_DOC = "event time upper bound (exclusive), as `since`"
SEVERITY_DOC = "Suricata severity, 1 = most severe: keeps alerts with severity <= this"
AFTER_DOC = "live cursor: only id > after_id, oldest first"
BEFORE_DOC = "paging cursor: only id < before_id (pass the previous next_before_id)"
SEARCH_DOC = "signature text search: case-insensitive substring of the rule message"
STATE_DOC = f"triage state of the alert's incident: {', '.join(STATES)}"

# The filters the feed and the incident list share.
SinceQuery = Annotated[str | None, Query(description=SINCE_DOC)]
UntilQuery = Annotated[str | None, Query(description=UNTIL_DOC)]
SeverityQuery = Annotated[int | None, Query(ge=1, description=SEVERITY_DOC)]
SensorQuery = Annotated[str | None, Query(max_length=128, description="only this sensor_id")]
TenantQuery = Annotated[str | None, Query(max_length=128, description="only this tenant")]
# A database row id in a path: BIGINT's range, so an absurd number is a 422, not a 500.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SidQuery = Annotated[int | None, Query(ge=0, le=2**32 - 1, description="only this signature_id")]
CategoryQuery = Annotated[str | None, Query(max_length=256,
                                            description="only this category (exact)")]
SearchQuery = Annotated[str | None, Query(max_length=MAX_SEARCH_CHARS, description=SEARCH_DOC)]
SrcQuery = Annotated[str | None, Query(max_length=64, description="only this source address")]
DestQuery = Annotated[str | None, Query(max_length=64,
                                        description="only this destination address")]
StateQuery = Annotated[str | None, Query(description=STATE_DOC)]


def feed_filter(
    since: SinceQuery = None,
    until: UntilQuery = None,
    min_severity: SeverityQuery = None,
    sensor: SensorQuery = None,
    tenant: TenantQuery = None,
    sid: SidQuery = None,
    category: CategoryQuery = None,
    q: SearchQuery = None,
    src_ip: SrcQuery = None,
    dest_ip: DestQuery = None,
    state: StateQuery = None,
    after_id: Annotated[int | None, Query(ge=0, description=AFTER_DOC)] = None,
    before_id: Annotated[int | None, Query(ge=1, description=BEFORE_DOC)] = None,
) -> FeedFilter:
    """The feed filters shared by the JSON feed and the event stream (tenant scope unset)."""
    since_epoch, until_epoch = parse_time("since", since), parse_time("until", until)
    check_range(since_epoch, until_epoch)
    return FeedFilter(
        since_epoch=since_epoch, until_epoch=until_epoch, min_severity=min_severity,
        sensor_id=sensor, tenant=tenant, signature_id=sid, category=category,
        signature_text=parse_search(q), src_ip=parse_address("src_ip", src_ip),
        dest_ip=parse_address("dest_ip", dest_ip),
        state=None if state is None else check_state(state),
        after_id=after_id, before_id=before_id,
    )


FeedFilterDep = Annotated[FeedFilter, Depends(feed_filter)]


def tenant_scope(user: Principal) -> str | None:
    """The one tenant `user` may see, None for all; a customer without a tenant sees nothing."""
    if not user.is_staff and not user.tenant:
        raise IngestError("this account is not linked to a tenant", 403)
    return user.tenant_scope()


def scoped_feed_filter(flt: FeedFilterDep, user: CurrentUser) -> FeedFilter:
    """The feed filters with the signed-in user's tenant scope applied."""
    return replace(flt, scope_tenant=tenant_scope(user))


ScopedFeedFilter = Annotated[FeedFilter, Depends(scoped_feed_filter)]
