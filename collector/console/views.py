"""GET /: the SOC analyst's live alert feed page.

Owns: rendering the first page of alerts server-side (so the page is useful
before any script runs), with the feed's filter form (the field names are
the API's query parameters) and links to each alert's detail and incident.
The page needs a signed-in user (others are sent to /login); a customer
viewer sees only their tenant (asking for another answers 403). New alerts
arrive in the browser through the event stream; the page's JSON twin is
GET /api/v1/alerts with the same query string. Times are shown in
Asia/Tokyo. Re-exports the template setup (templating.py) under the names
main.py and older callers use. Does not own: the feed query (repo/alerts.py)
or the other pages (incidents.py, sensors.py, customer.py, admin.py).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from collector.api.deps import SessionDep, StateDep, feed_filter
from collector.auth.deps import OptionalSignedIn
from collector.auth.principal import Principal
from collector.console.lookups import known_tenants, saved_filter_options
from collector.console.pages import admit, render
from collector.console.query import FEED_FIELDS, FormQuery, form_query
from collector.console.templating import HERE, STATIC_DIR, TOKYO, jst, make_templates
from collector.incidents.states import STATES
from collector.repo.alerts import FeedFilter, FeedPage, feed_page
from yamori.errors import IngestError

__all__ = ["HERE", "STATIC_DIR", "TOKYO", "jst", "make_templates", "router", "scoped"]

router = APIRouter(tags=["console"])
FIRST_PAGE = 200


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def feed(request: Request, session: SessionDep, state: StateDep,
         visitor: OptionalSignedIn) -> Response:
    """The live feed: newest alerts first, new ones prepended as they are stored."""
    viewer = admit(request, visitor, "anyone")
    if isinstance(viewer, Response):
        return viewer
    page_size = min(FIRST_PAGE, state.config.page_size_max)
    form, page, error = FormQuery({}), FeedPage([], None, None), None
    try:
        form = form_query(request, FEED_FIELDS)
        flt = scoped(feed_filter(**form.typed()), viewer)
        page = feed_page(session, flt, page_size)
    except IngestError as exc:
        if exc.status != 422:
            raise
        error = str(exc)
    context: dict[str, Any] = {
        "nav": "feed", "alerts": page.alerts, "error": error,
        "last_id": max((a["id"] for a in page.alerts), default=0),
        "query": form.text("before_id"), "page_size": page_size,
        "older": _older_link(form, page), "form": form, "states": STATES,
        "staff": viewer.is_staff, "with_assignee": False,
        "tenants": known_tenants(session) if viewer.is_staff else [],
        "saved": saved_filter_options(session, viewer.username),
    }
    return render(request, "feed.html", context, 422 if error else 200)


def _older_link(form: FormQuery, page: FeedPage) -> str | None:
    if page.next_before_id is None:
        return None
    rest = form.text("before_id")
    return f"/?{rest + '&' if rest else ''}before_id={page.next_before_id}"


def scoped(flt: FeedFilter, viewer: Principal) -> FeedFilter:
    """`flt` limited to the viewer's tenant (403 for another tenant's)."""
    if viewer.is_staff:
        return flt
    scope = viewer.tenant_scope()
    if scope is None or (flt.tenant is not None and flt.tenant != scope):
        raise IngestError("customer viewers see only their own tenant", 403)
    return replace(flt, tenant=scope)
