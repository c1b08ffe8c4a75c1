"""GET /api/v1/alerts/{id} (JSON) and GET /alerts/{id} (its HTML page): one alert in detail.

Owns: the HTTP shape of the detail and its tenant check. A user who may not
see the alert's tenant gets the same 404 as for an id that does not exist,
so the answer never confirms that another tenant's alert exists. Does not
own: assembling the detail (service.py) or the template's layout.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from collector.api.deps import SessionDep, StateDep
from collector.auth.deps import CurrentUser
from collector.auth.principal import Principal
from collector.detail.decode import hexdump_text
from collector.detail.related import alert_by_id
from collector.detail.schemas import AlertDetail
from collector.detail.service import DetailServices, build_detail, detail_services, flatten
from collector.models import Alert
from yamori.errors import IngestError

router = APIRouter(tags=["alerts"])
ServicesDep = Annotated[DetailServices, Depends(detail_services)]
AlertId = Annotated[int, Path(description="the alert's feed id (`id` in GET /api/v1/alerts)")]


def visible_alert(session: Session, alert_id: int, user: Principal) -> Alert:
    """The alert `alert_id` if `user` may see its tenant; 404 otherwise, exists or not."""
    row = alert_by_id(session, alert_id)
    if row is None or not user.can_see(row.tenant):
        raise IngestError(f"no alert {alert_id}", 404)
    return row


@router.get("/api/v1/alerts/{id:int}")
def get_alert_detail(id: AlertId, user: CurrentUser, session: SessionDep,
                     services: ServicesDep) -> AlertDetail:
    """Every EVE field, the rule text, the packet dissected, and related alerts."""
    return build_detail(session, visible_alert(session, id, user), services)


@router.get("/alerts/{id:int}", response_class=HTMLResponse)
def alert_detail_page(request: Request, id: AlertId, user: CurrentUser, session: SessionDep,
                      services: ServicesDep, state: StateDep) -> HTMLResponse:
    """The detail as a page for the analyst; its JSON twin is GET /api/v1/alerts/{id}."""
    detail = build_detail(session, visible_alert(session, id, user), services)
    context: dict[str, Any] = {
        "d": detail,
        "eve_rows": flatten(detail.eve),
        "packet_dump": hexdump_text(detail.packet.hexdump),
        "payload_dump": hexdump_text(detail.payload.hexdump),
    }
    return state.templates.TemplateResponse(request, "alert_detail.html", context)
