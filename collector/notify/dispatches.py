"""Dispatch records: who went on site (駆け付け) for an incident, when, why, and the outcome.

Owns: creating, updating and listing `dispatches` rows, the order checks
(arrival and closing not before the dispatch), and months in the notifier's
time zone for the monthly report (`month=2026-10` is October in JST).
`incident_id` is taken as given: the incidents table is collector/incidents'.
Does not own: HTTP (dispatch_routes.py) or the report (issue 8 item 4).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.notify.models import Dispatch, to_utc
from collector.notify.quiet import zone
from collector.notify.schemas import DispatchCreate, DispatchPublic, DispatchUpdate
from yamori.errors import IngestError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def create_dispatch(session: Session, incident_id: int, body: DispatchCreate, actor: str,
                    now: datetime) -> Dispatch:
    """Record a dispatch for `incident_id` (404 unless it exists in the body's tenant).

    The caller audits and commits.
    """
    # Imported here: incidents imports notify (escalation notices), not the reverse.
    from collector.incidents.repo import visible_incident

    incident = visible_incident(session, incident_id, body.tenant.strip())
    row = Dispatch(incident_id=incident.id, tenant=incident.tenant,
                   technician=body.technician.strip(), reason=body.reason.strip(),
                   dispatched_at=to_utc(body.dispatched_at or now), created_by=actor,
                   created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def update_dispatch(session: Session, row: Dispatch, body: DispatchUpdate,
                    now: datetime) -> list[str]:
    """Apply the fields `body` sets (checked for order); returns their names."""
    given = body.model_fields_set
    for field in ("technician", "reason", "outcome"):
        if field in given:
            value = getattr(body, field)
            setattr(row, field, value.strip() if isinstance(value, str) else value)
    for field in ("arrived_at", "closed_at"):
        if field in given:
            value = getattr(body, field)
            setattr(row, field, to_utc(value) if value is not None else None)
    _check_order(row)
    row.updated_at = now
    return sorted(given)


def _check_order(row: Dispatch) -> None:
    start = as_utc(row.dispatched_at)
    for field in ("arrived_at", "closed_at"):
        value = getattr(row, field)
        if value is not None and as_utc(value) < start:
            raise IngestError(f"{field}: must not be before dispatched_at", 422)


def get_dispatch(session: Session, incident_id: int, dispatch_id: int) -> Dispatch:
    """Dispatch `dispatch_id` of incident `incident_id`; 404 otherwise."""
    row = session.get(Dispatch, dispatch_id)
    if row is None or row.incident_id != incident_id:
        raise IngestError(f"no dispatch {dispatch_id} for incident {incident_id}", 404)
    return row


def list_dispatches(session: Session, tenant: str | None = None, month: str | None = None,
                    incident_id: int | None = None, tz: str = "Asia/Tokyo") -> list[Dispatch]:
    """Dispatches, oldest first: of `tenant`, in `month` ("YYYY-MM" in `tz`), of an incident."""
    query = select(Dispatch).order_by(Dispatch.dispatched_at, Dispatch.id)
    if tenant is not None:
        query = query.where(Dispatch.tenant == tenant)
    if incident_id is not None:
        query = query.where(Dispatch.incident_id == incident_id)
    if month is not None:
        start, end = month_range(month, tz)
        query = query.where(Dispatch.dispatched_at >= start, Dispatch.dispatched_at < end)
    return list(session.scalars(query))


def month_range(month: str, tz: str) -> tuple[datetime, datetime]:
    """The UTC bounds [start, end) of calendar month "YYYY-MM" in `tz`; 422 if malformed."""
    match = _MONTH.match(month.strip())
    if match is None:
        raise IngestError(f"month: expected YYYY-MM, got {month!r}", 422)
    year, number = int(match.group(1)), int(match.group(2))
    local = zone(tz)
    start = datetime(year, number, 1, tzinfo=local)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=local)
    return start.astimezone(UTC), end.astimezone(UTC)


def public_dispatch(row: Dispatch) -> DispatchPublic:
    """The dispatch as the API shows it (times in UTC)."""
    def utc(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    return DispatchPublic(
        id=row.id, incident_id=row.incident_id, tenant=row.tenant, technician=row.technician,
        reason=row.reason, dispatched_at=as_utc(row.dispatched_at),
        arrived_at=utc(row.arrived_at),
        outcome=row.outcome, closed_at=utc(row.closed_at), created_by=row.created_by,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))
