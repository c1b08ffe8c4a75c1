"""GET /: the SOC analyst's live alert feed page.

Owns: rendering the first page of alerts server-side (so the page is useful
before any script runs) and the Jinja filters the template uses. New alerts
arrive in the browser through the event stream; the page's JSON twin is
GET /api/v1/alerts with the same filters. Times are shown in Asia/Tokyo.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from collector.api.deps import FeedFilterDep, SessionDep, StateDep
from collector.repo.alerts import feed_page

router = APIRouter(tags=["console"])
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_PAGE = 200


def make_templates() -> Jinja2Templates:
    """The console's templates, with the filters they rely on."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["jst"] = jst
    return templates


def jst(timestamp: str) -> str:
    """An EVE timestamp as `YYYY-MM-DD HH:MM:SS` in Asia/Tokyo (as given if unparsable)."""
    try:
        when = datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if when.tzinfo is None:
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M:%S")


@router.get("/", response_class=HTMLResponse)
def feed(request: Request, flt: FeedFilterDep, session: SessionDep,
         state: StateDep) -> HTMLResponse:
    """The live feed: newest alerts first, new ones prepended as they are stored."""
    page = feed_page(session, flt, min(FIRST_PAGE, state.config.page_size_max))
    context: dict[str, Any] = {
        "alerts": page.alerts,
        "last_id": max((a["id"] for a in page.alerts), default=0),
        "query": request.url.query,
        "page_size": min(FIRST_PAGE, state.config.page_size_max),
    }
    return state.templates.TemplateResponse(request, "feed.html", context)
