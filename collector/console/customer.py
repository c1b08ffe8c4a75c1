"""GET /my: the customer's own view — in plain words, readable on a phone.

Owns: choosing whose view it is (a customer viewer: their tenant, always;
staff: the tenant named by ?tenant=, else a picker), and what the office
sees: its incidents as plain-language cards (what happened and what to do
now, from the guidance catalog; the affected internal device; where the
SOC stands), whether each monitoring box is watching, and links to the
monthly reports of the last twelve months. Read-only. Another tenant's
view answers 404, exactly like a tenant that does not exist.
Does not own: the guidance texts (collector/guidance), the reports
(collector/report) or liveness (collector/fleet).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from collector.api.deps import SessionDep
from collector.api.routes.sensors import visible_board
from collector.auth.deps import OptionalSignedIn
from collector.auth.principal import Principal
from collector.console.lookups import known_tenants, tenant_known
from collector.console.pages import admit, error_page, render
from collector.console.templating import TOKYO
from collector.fleet.admin import FleetDep
from collector.guidance import guidance_for
from collector.i18n.web import request_language
from collector.incidents.models import Incident
from collector.incidents.repo import IncidentFilter, incident_page
from collector.repo.heartbeats import utcnow

router = APIRouter(tags=["console"], include_in_schema=False)
INCIDENTS_SHOWN = 50
REPORT_MONTHS = 12
LAN_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10"))


@dataclass(slots=True, frozen=True)
class IncidentCard:
    """One incident as the office reads it."""

    id: int
    state: str
    level: str
    what: str
    action: str
    host: str
    count: int
    first_seen: float
    last_seen: float
    signature: str


@router.get("/my", response_class=HTMLResponse)
def customer_view(request: Request, session: SessionDep, fleet: FleetDep,
                  visitor: OptionalSignedIn) -> Response:
    """The customer's incidents, sensor state and reports (staff: ?tenant=...)."""
    viewer = admit(request, visitor, "anyone")
    if isinstance(viewer, Response):
        return viewer
    asked = request.query_params.get("tenant", "").strip() or None
    tenant = _whose(viewer, asked)
    if tenant is None and viewer.is_staff:
        return render(request, "my.html", {"nav": "my", "tenant": None,
                                           "tenants": known_tenants(session)})
    if tenant is None or not _exists(session, tenant):
        return error_page(request, 404, "error.not_found")
    lang = request_language(request)
    board = [entry for entry in visible_board(session, fleet, viewer, utcnow())
             if entry["tenant"] == tenant]
    context: dict[str, Any] = {
        "nav": "my", "tenant": tenant, "sensors": board,
        "incidents": incident_cards(session, tenant, lang),
        "reports": report_links(tenant, datetime.now(TOKYO)),
    }
    return render(request, "my.html", context)


def _whose(viewer: Principal, asked: str | None) -> str | None:
    """The tenant whose view this is; None: staff without a choice, or refused."""
    if viewer.is_staff:
        return asked
    if viewer.tenant is None or (asked is not None and asked != viewer.tenant):
        return None
    return viewer.tenant


def _exists(session: Session, tenant: str) -> bool:
    return tenant_known(session, tenant) or bool(
        incident_page(session, IncidentFilter(scope_tenant=tenant), 1).incidents)


def incident_cards(session: Session, tenant: str, lang: str) -> list[IncidentCard]:
    """The tenant's latest incidents, newest first, with guidance in `lang`."""
    page = incident_page(session, IncidentFilter(scope_tenant=tenant), INCIDENTS_SHOWN)
    return [_card(row, lang) for row in page.incidents]


def _card(row: Incident, lang: str) -> IncidentCard:
    advice = guidance_for(row.category, row.gid, row.signature_id, lang)
    return IncidentCard(id=row.id, state=row.state, level=advice.level, what=advice.what,
                        action=advice.action, host=internal_host(row.src_ip, row.dest_ip),
                        count=row.count, first_seen=row.first_seen, last_seen=row.last_seen,
                        signature=row.signature)


def internal_host(src_ip: str, dest_ip: str) -> str:
    """The office's own device of the pair: the LAN address (the source if both or neither)."""
    for address in (src_ip, dest_ip):
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            continue
        # Not `is_private`: that also counts documentation ranges, which are outside.
        if any(parsed in network for network in LAN_NETWORKS if network.version == parsed.version):
            return address
    return src_ip


def report_links(tenant: str, now: datetime) -> list[dict[str, str]]:
    """The last REPORT_MONTHS complete months, newest first, with their report URLs."""
    links: list[dict[str, str]] = []
    year, month = now.year, now.month
    base = f"/api/v1/reports/{quote(tenant, safe='')}"
    for _ in range(REPORT_MONTHS):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        label = f"{year:04d}-{month:02d}"
        links.append({"month": label, "html": f"{base}/{label}.html",
                      "pdf": f"{base}/{label}.pdf", "year": str(year), "number": str(month)})
    return links
