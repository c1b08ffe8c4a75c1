"""Dispatch records over HTTP: POST/PATCH /api/v1/incidents/{id}/dispatch, GET /api/v1/dispatches.

Owns: the HTTP shape of dispatch records (staff only; a customer viewer gets
403) and their audit entries. `month=YYYY-MM` is a calendar month in the
notifier's time zone, for the monthly report. Does not own: the queries
(dispatches.py) or the incident itself (collector/incidents).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from collector.api.deps import RowId, SessionDep, StateDep
from collector.audit import record_audit
from collector.auth.deps import StaffUser
from collector.notify.dispatches import (
    create_dispatch,
    get_dispatch,
    list_dispatches,
    public_dispatch,
    update_dispatch,
)
from collector.notify.schemas import DispatchCreate, DispatchPublic, DispatchUpdate

router = APIRouter(tags=["dispatches"])
INCIDENT = "/api/v1/incidents/{incident_id}/dispatch"


@router.post(INCIDENT, response_model=DispatchPublic, status_code=201)
def dispatch(incident_id: RowId, body: DispatchCreate, user: StaffUser,
             session: SessionDep) -> DispatchPublic:
    """Record that someone was sent on site for the incident: who, when, why."""
    now = datetime.now(UTC)
    row = create_dispatch(session, incident_id, body, user.username, now)
    record_audit(session, user.username, "dispatch.create", f"incident:{incident_id}",
                 {"dispatch_id": row.id, "technician": row.technician, "reason": row.reason},
                 tenant=row.tenant, now=now)
    session.commit()
    return public_dispatch(row)


@router.get(INCIDENT, response_model=list[DispatchPublic])
def incident_dispatches(incident_id: RowId, _user: StaffUser,
                        session: SessionDep) -> list[DispatchPublic]:
    """The incident's dispatches, oldest first."""
    return [public_dispatch(r) for r in list_dispatches(session, incident_id=incident_id)]


@router.patch(INCIDENT + "/{dispatch_id}", response_model=DispatchPublic)
def change_dispatch(incident_id: RowId, dispatch_id: RowId, body: DispatchUpdate, user: StaffUser,
                    session: SessionDep) -> DispatchPublic:
    """Record the arrival, the outcome, the closing (or correct who and why)."""
    now = datetime.now(UTC)
    row = get_dispatch(session, incident_id, dispatch_id)
    changed = update_dispatch(session, row, body, now)
    record_audit(session, user.username, "dispatch.update", f"incident:{incident_id}",
                 {"dispatch_id": dispatch_id, "fields": changed}, tenant=row.tenant, now=now)
    session.commit()
    return public_dispatch(row)


@router.get("/api/v1/dispatches", response_model=list[DispatchPublic])
def dispatches(
    _user: StaffUser, session: SessionDep, state: StateDep,
    tenant: Annotated[str | None, Query(description="only this tenant")] = None,
    month: Annotated[str | None, Query(description="YYYY-MM, in notify_timezone")] = None,
) -> list[DispatchPublic]:
    """Dispatches oldest first (for the monthly report)."""
    rows = list_dispatches(session, tenant=tenant, month=month,
                           tz=state.config.notify_timezone)
    return [public_dispatch(r) for r in rows]
