"""What every console page shares: who may open it, rendering it, and error pages.

Owns: `admit` — a page's access rule as one call (anonymous visitors go to
/login and come back; customer viewers who open a staff page go to their
own view, /my; non-admins on an admin page get a 403 page), `render` (a
template with the request in its context; pages are private, never kept by
shared caches) and `error_page` (the error in the visitor's language, with
the layout, so a wrong URL does not strand anyone on raw JSON).
Does not own: authentication (collector/auth) or any page's data.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi.responses import RedirectResponse
from starlette.requests import Request
from starlette.responses import Response

from collector.auth.deps import SignedIn, login_redirect
from collector.auth.principal import Principal
from collector.state import AppState

Audience = Literal["anyone", "staff", "admin"]
CUSTOMER_HOME = "/my"
PRIVATE = {"Cache-Control": "private, no-store"}
DEFAULT_MESSAGES = {403: "error.forbidden", 404: "error.not_found", 422: "error.bad_request"}


def admit(request: Request, visitor: SignedIn | None,
          audience: Audience) -> Principal | Response:
    """The visitor's Principal when they may open the page, else the answer to give instead."""
    if visitor is None:
        return login_redirect(request)
    principal = visitor.principal
    if audience == "staff" and not principal.is_staff:
        return RedirectResponse(CUSTOMER_HOME, status_code=303)
    if audience == "admin" and principal.role != "admin":
        return error_page(request, 403, "error.admins_only")
    return principal


def render(request: Request, template: str, context: dict[str, Any],
           status: int = 200) -> Response:
    """`template` rendered with `context` (the layout finds the user on the request)."""
    state: AppState = request.app.state.collector
    return state.templates.TemplateResponse(request, template, context, status_code=status,
                                            headers=PRIVATE)


def error_page(request: Request, status: int, message_key: str | None = None,
               detail: str | None = None) -> Response:
    """An HTML error page: a catalog message (by key) and/or the error's own text."""
    message_key = message_key or DEFAULT_MESSAGES.get(status)
    return render(request, "error.html",
                  {"status": status, "message_key": message_key, "detail": detail}, status)
