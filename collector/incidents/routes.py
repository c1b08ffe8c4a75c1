"""The incident API (GET /api/v1/incidents, one incident, triage actions) and saved filters.

Owns: the HTTP shape. Reading needs a signed-in user and shows a customer
viewer only their tenant: another tenant's incident id answers 404, exactly
like an absent one. Actions (state, assign, notes, suppress) are for staff
(admins and analysts): a customer viewer gets 403. Saved filters belong to
the signed-in user. Does not own: queries (repo.py, filters.py) or the
actions themselves (triage.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from collector.api.deps import (
    CategoryQuery,
    DestQuery,
    SearchQuery,
    SensorQuery,
    SessionDep,
    SeverityQuery,
    SidQuery,
    SinceQuery,
    SrcQuery,
    StateDep,
    StateQuery,
    TenantQuery,
    UntilQuery,
    check_range,
    parse_address,
    parse_search,
    parse_time,
    tenant_scope,
)
from collector.auth.deps import CurrentUser, StaffUser
from collector.incidents import filters, triage
from collector.incidents.models import Incident
from collector.incidents.repo import (
    IncidentFilter,
    incident_alerts,
    incident_page,
    notes_of,
    parse_cursor,
    sensors_of,
    visible_incident,
)
from collector.incidents.schemas import (
    Assignment,
    IncidentDetail,
    IncidentPage,
    IncidentPublic,
    NoteCreate,
    NotePublic,
    SavedFilterCreate,
    SavedFilterPublic,
    StateChange,
    SuppressRequest,
    SuppressResult,
    incident_public,
    note_public,
    saved_filter_public,
)
from collector.incidents.states import TRANSITIONS, check_state
from collector.repo.alerts import public_alert

router = APIRouter(tags=["incidents"])
DEFAULT_LIMIT = 50
LIMIT_DOC = f"page size (default {DEFAULT_LIMIT}), capped at the config's page_size_max"
Limit = Annotated[int | None, Query(ge=1, description=LIMIT_DOC)]


def incident_filter(
    user: CurrentUser,
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
    assignee: Annotated[str | None, Query(max_length=128, description="assigned to")] = None,
    before: Annotated[str | None, Query(description="paging cursor: a page's next_before")]
    = None,
) -> IncidentFilter:
    """The incident list's filters, with the user's tenant scope."""
    since_epoch, until_epoch = parse_time("since", since), parse_time("until", until)
    check_range(since_epoch, until_epoch)
    return IncidentFilter(
        scope_tenant=tenant_scope(user), tenant=tenant, sensor_id=sensor,
        min_severity=min_severity, category=category, signature_id=sid,
        signature_text=parse_search(q), src_ip=parse_address("src_ip", src_ip),
        dest_ip=parse_address("dest_ip", dest_ip), since_epoch=since_epoch,
        until_epoch=until_epoch, state=None if state is None else check_state(state),
        assignee=assignee, before=parse_cursor(before))


IncidentFilterDep = Annotated[IncidentFilter, Depends(incident_filter)]


def _public(session: Session, row: Incident) -> IncidentPublic:
    return incident_public(row, sensors_of(session, [row.id])[row.id])


@router.get("/api/v1/incidents", response_model=IncidentPage)
def list_incidents(flt: IncidentFilterDep, session: SessionDep, state: StateDep,
                   limit: Limit = None) -> IncidentPage:
    """Incidents, newest last_seen first."""
    page = incident_page(session, flt, min(limit or DEFAULT_LIMIT, state.config.page_size_max))
    return IncidentPage(
        incidents=[incident_public(r, page.sensors[r.id]) for r in page.incidents],
        next_before=page.next_before)


@router.get("/api/v1/incidents/{incident_id}", response_model=IncidentDetail)
def get_incident(incident_id: int, user: CurrentUser, session: SessionDep, state: StateDep,
                 limit: Limit = None,
                 before_id: Annotated[int | None, Query(ge=1)] = None) -> IncidentDetail:
    """One incident with its notes and a page of its alerts (newest first)."""
    row = visible_incident(session, incident_id, tenant_scope(user))
    cap = min(limit or DEFAULT_LIMIT, state.config.page_size_max)
    alerts = incident_alerts(session, row.id, cap, before_id)
    return IncidentDetail(
        incident=_public(session, row), allowed_transitions=list(TRANSITIONS[row.state]),
        notes=[note_public(n) for n in notes_of(session, row.id)],
        alerts=[public_alert(a) for a in alerts],
        next_before_id=alerts[-1].id if len(alerts) == cap else None)


@router.post("/api/v1/incidents/{incident_id}/state", response_model=IncidentPublic)
def set_state(incident_id: int, body: StateChange, user: StaffUser,
              session: SessionDep) -> IncidentPublic:
    """Move the incident to another triage state (409 when not allowed from its state)."""
    row = visible_incident(session, incident_id, tenant_scope(user))
    triage.change_state(session, row, body.state, user.username, note=body.note)
    return _public(session, row)


@router.post("/api/v1/incidents/{incident_id}/assign", response_model=IncidentPublic)
def set_assignee(incident_id: int, body: Assignment, user: StaffUser,
                 session: SessionDep) -> IncidentPublic:
    """Assign the incident to a user, or unassign it (`{"assignee": null}`)."""
    row = visible_incident(session, incident_id, tenant_scope(user))
    triage.assign(session, row, body.assignee, user.username)
    return _public(session, row)


@router.post("/api/v1/incidents/{incident_id}/notes", response_model=NotePublic,
             status_code=201)
def post_note(incident_id: int, body: NoteCreate, user: StaffUser,
              session: SessionDep) -> NotePublic:
    """Add a note to the incident."""
    row = visible_incident(session, incident_id, tenant_scope(user))
    return note_public(triage.add_note(session, row, user.username, body.text))


@router.post("/api/v1/incidents/{incident_id}/suppress", response_model=SuppressResult)
def post_suppress(incident_id: int, body: SuppressRequest, user: StaffUser,
                  session: SessionDep) -> SuppressResult:
    """Suppress (or threshold) the rule for the tenant and resolve the incident as FP."""
    row = visible_incident(session, incident_id, tenant_scope(user))
    override = triage.suppress(session, row, body, user.username)
    return SuppressResult(incident=_public(session, row), override_id=override.id,
                          override=override.to_wire())


@router.get("/api/v1/filters", response_model=list[SavedFilterPublic])
def list_filters(user: CurrentUser, session: SessionDep) -> list[SavedFilterPublic]:
    """The signed-in user's saved filters, by name."""
    return [saved_filter_public(f) for f in filters.saved_filters(session, user.username)]


@router.post("/api/v1/filters", response_model=SavedFilterPublic, status_code=201)
def post_filter(body: SavedFilterCreate, user: CurrentUser,
                session: SessionDep) -> SavedFilterPublic:
    """Save a filter (a feed query string) under a name; the same name replaces it."""
    return saved_filter_public(filters.save_filter(session, user.username, body.name,
                                                   body.query))


@router.delete("/api/v1/filters/{filter_id}", status_code=204)
def remove_filter(filter_id: int, user: CurrentUser, session: SessionDep) -> None:
    """Delete one of the signed-in user's saved filters."""
    filters.delete_filter(session, user.username, filter_id)
