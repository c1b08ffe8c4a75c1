"""GET /: the SOC analyst's live alert feed page.

Owns: rendering the first page of alerts server-side (so the page is useful
before any script runs) and the Jinja filters and globals the templates use
(`_` and `ui_lang` come from collector/i18n). The page needs a signed-in user
(others are sent to /login); a customer viewer sees only their tenant. New
alerts arrive in the browser through the event stream; the page's JSON twin
is GET /api/v1/alerts with the same filters. Times are shown in Asia/Tokyo.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from collector.api.deps import FeedFilterDep, SessionDep, StateDep
from collector.auth.deps import OptionalSignedIn, login_redirect
from collector.auth.principal import Principal
from collector.i18n.web import install_jinja
from collector.repo.alerts import FeedFilter, feed_page
from yamori.errors import IngestError

router = APIRouter(tags=["console"])
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_PAGE = 200


def make_templates() -> Jinja2Templates:
    """The console's templates, with the filters they rely on."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["jst"] = jst
    install_jinja(templates.env)
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
         state: StateDep, visitor: OptionalSignedIn) -> Response:
    """The live feed: newest alerts first, new ones prepended as they are stored."""
    if visitor is None:
        return login_redirect(request)
    flt = scoped(flt, visitor.principal)
    page = feed_page(session, flt, min(FIRST_PAGE, state.config.page_size_max))
    context: dict[str, Any] = {
        "alerts": page.alerts,
        "last_id": max((a["id"] for a in page.alerts), default=0),
        "query": request.url.query,
        "page_size": min(FIRST_PAGE, state.config.page_size_max),
        "viewer": visitor.principal,
        "csrf_token": visitor.csrf_token,
    }
    return state.templates.TemplateResponse(request, "feed.html", context)


def scoped(flt: FeedFilter, viewer: Principal) -> FeedFilter:
    """`flt` limited to the viewer's tenant (403 for another tenant's)."""
    if viewer.is_staff:
        return flt
    scope = viewer.tenant_scope()
    if scope is None or (flt.tenant is not None and flt.tenant != scope):
        raise IngestError("customer viewers see only their own tenant", 403)
    return replace(flt, tenant=scope)
