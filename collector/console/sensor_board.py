"""GET /sensors: the sensor board page — every box, what needs a human first.

Owns: rendering the board (the JSON twin is GET /api/v1/sensors, whose
visibility rule it shares): sensors by tenant with their state (offline,
late, pending, online, revoked), last heartbeat in JST, rule and agent
versions, packets, drops, queue backlog and lost alerts; offline first, and
sortable in the browser by any column. Staff only: a customer viewer's
sensors are on their own page (/my). Does not own: liveness rules
(collector/fleet) or the board query (repo/heartbeats.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from collector.api.deps import SessionDep
from collector.api.routes.sensors import visible_board
from collector.auth.deps import OptionalSignedIn
from collector.console.pages import admit, render
from collector.fleet.admin import FleetDep
from collector.fleet.liveness import SORT_ORDER
from collector.repo.heartbeats import utcnow

router = APIRouter(tags=["console"], include_in_schema=False)


@router.get("/sensors", response_class=HTMLResponse)
def sensors_page(request: Request, session: SessionDep, fleet: FleetDep,
                 visitor: OptionalSignedIn) -> Response:
    """The sensor board, offline first."""
    viewer = admit(request, visitor, "staff")
    if isinstance(viewer, Response):
        return viewer
    board = visible_board(session, fleet, viewer, utcnow())
    context: dict[str, Any] = {
        "nav": "sensors", "sensors": [dict(entry, rank=SORT_ORDER[entry["state"]])
                                      for entry in board],
        "totals": Counter(entry["state"] for entry in board), "states": list(SORT_ORDER),
    }
    return render(request, "sensors.html", context)
