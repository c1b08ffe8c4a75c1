"""GET /incidents (the analysts' main view) and GET /incidents/{id} (one incident to triage).

Owns: rendering the incident list — one row per incident, filtered by the
form whose fields are GET /api/v1/incidents' parameters, kept live in the
browser (incidents.js re-reads the first page when the alert stream says
something arrived) — and the incident page: its alerts (linked to their
detail), notes, dispatches, the customer guidance, and the triage actions,
which the browser sends to the JSON API (incident.js). Staff only: a
customer viewer is sent to /my, and sees their own incident there; another
tenant's incident id answers 404 like an absent one.
Does not own: the queries or the actions (collector/incidents), dispatch
records (collector/notify) or guidance texts (collector/guidance).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from collector.api.deps import SessionDep, StateDep
from collector.auth.deps import OptionalSignedIn
from collector.auth.principal import Principal
from collector.console.lookups import known_tenants, saved_filter_options
from collector.console.pages import CUSTOMER_HOME, admit, error_page, render
from collector.console.query import INCIDENT_FIELDS, STREAM_FIELDS, FormQuery, form_query
from collector.guidance import guidance_for
from collector.incidents.models import Incident
from collector.incidents.repo import (
    IncidentPage,
    incident_alerts,
    incident_page,
    notes_of,
    sensors_of,
    visible_incident,
)
from collector.incidents.routes import incident_filter
from collector.incidents.schemas import incident_public, note_public
from collector.incidents.states import STATES, TRANSITIONS
from collector.notify.dispatches import list_dispatches, public_dispatch
from collector.repo.alerts import last_alert_id, public_alert
from yamori.errors import IngestError

router = APIRouter(tags=["console"], include_in_schema=False)
PAGE_SIZE = 100
ALERTS_SHOWN = 50
IncidentId = Annotated[int, Path(description="the incident's id")]


@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, session: SessionDep, state: StateDep,
                   visitor: OptionalSignedIn) -> Response:
    """Incidents, newest last_seen first; new and updated ones appear without reload."""
    viewer = admit(request, visitor, "staff")
    if isinstance(viewer, Response):
        return viewer
    limit = min(PAGE_SIZE, state.config.page_size_max)
    form, page, error = FormQuery({}), IncidentPage([], {}, None), None
    try:
        form = form_query(request, INCIDENT_FIELDS)
        page = incident_page(session, incident_filter(viewer, **form.typed()), limit)
    except IngestError as exc:
        if exc.status != 422:
            raise
        error = str(exc)
    rows = [incident_public(r, page.sensors[r.id]).model_dump(mode="json")
            for r in page.incidents]
    context: dict[str, Any] = {
        "nav": "incidents", "incidents": rows, "error": error, "form": form, "limit": limit,
        "api_query": form.text("before"), "stream_query": form.only(STREAM_FIELDS),
        "live": error is None and not form.get("before"),
        "last_alert_id": last_alert_id(session), "older": _older_link(form, page),
        "states": STATES, "staff": True, "with_assignee": True,
        "tenants": known_tenants(session), "saved": saved_filter_options(session,
                                                                         viewer.username),
    }
    return render(request, "incidents.html", context, 422 if error else 200)


def _older_link(form: FormQuery, page: IncidentPage) -> str | None:
    if page.next_before is None:
        return None
    rest = form.text("before")
    return "/incidents?" + (rest + "&" if rest else "") + \
        FormQuery({"before": page.next_before}).text()


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page_view(request: Request, incident_id: IncidentId, session: SessionDep,
                       visitor: OptionalSignedIn) -> Response:
    """One incident: what, where, how often, its alerts, notes, dispatches and actions."""
    viewer = admit(request, visitor, "anyone")
    if isinstance(viewer, Response):
        return viewer
    try:
        # A customer account without a tenant sees no incident at all.
        scope = None if viewer.is_staff else (viewer.tenant or "")
        row = visible_incident(session, incident_id, scope)
        if not viewer.is_staff:
            return RedirectResponse(f"{CUSTOMER_HOME}#incident-{row.id}", status_code=303)
        before_id = _before_id(request)
    except IngestError as exc:
        return error_page(request, exc.status, None, str(exc))
    return render(request, "incident.html", incident_context(session, row, viewer, before_id))


def _before_id(request: Request) -> int | None:
    text = request.query_params.get("before_id", "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
        raise IngestError(f"before_id: want a positive whole number, got {text!r}", 422)
    return int(text)


def incident_context(session: Session, row: Incident, viewer: Principal,
                     before_id: int | None) -> dict[str, Any]:
    """Everything incident.html shows about `row`."""
    alerts = incident_alerts(session, row.id, ALERTS_SHOWN, before_id)
    public = incident_public(row, sensors_of(session, [row.id])[row.id])
    return {
        "nav": "incidents", "viewer": viewer,
        "incident": public.model_dump(mode="json"),
        "transitions": TRANSITIONS[row.state],
        "notes": [note_public(n).model_dump(mode="json") for n in notes_of(session, row.id)],
        "alerts": [public_alert(a) for a in alerts],
        "older_alerts": alerts[-1].id if len(alerts) == ALERTS_SHOWN else None,
        "dispatches": [public_dispatch(d).model_dump(mode="json")
                       for d in list_dispatches(session, incident_id=row.id)],
        "guidance": {lang: guidance_for(row.category, row.gid, row.signature_id, lang)
                     for lang in ("ja", "en")},
    }
