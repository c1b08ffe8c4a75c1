"""GET /admin/users and GET /admin/audit: the admins' pages for accounts and the audit log.

Owns: rendering the account list with a create form and disable/enable
buttons (the browser sends them to /api/v1/users, admin.js), and the audit
log table, newest first, optionally for one tenant, paged by id. Admins
only: analysts get a 403 page, customer viewers are sent to /my.
Does not own: the account rules or the audit table (collector/auth,
collector/audit.py), whose JSON API these pages mirror.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from collector.api.deps import SessionDep
from collector.audit import audit_entries
from collector.auth.deps import OptionalSignedIn
from collector.auth.principal import ROLES
from collector.auth.schemas import AuditPublic, UserPublic
from collector.auth.users import list_users
from collector.console.lookups import known_tenants
from collector.console.pages import admit, error_page, render
from collector.console.query import FormQuery, form_query
from yamori.errors import IngestError

router = APIRouter(prefix="/admin", tags=["console"], include_in_schema=False)
AUDIT_PAGE = 200


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, visitor: OptionalSignedIn) -> Response:
    """Every console account, and a form to add one."""
    viewer = admit(request, visitor, "admin")
    if isinstance(viewer, Response):
        return viewer
    context: dict[str, Any] = {
        "nav": "users", "roles": ROLES, "tenants": known_tenants(session),
        "users": [UserPublic.of(user).model_dump(mode="json") for user in list_users(session)],
    }
    return render(request, "users.html", context)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep, visitor: OptionalSignedIn) -> Response:
    """The audit log, newest first; ?tenant= for one tenant, ?before_id= for older entries."""
    viewer = admit(request, visitor, "admin")
    if isinstance(viewer, Response):
        return viewer
    try:
        form = form_query(request, ("tenant", "before_id"))
        typed = form.typed()
    except IngestError as exc:
        return error_page(request, exc.status, None, str(exc))
    entries = audit_entries(session, typed.get("tenant"), AUDIT_PAGE, typed.get("before_id"))
    older = None
    if len(entries) == AUDIT_PAGE:
        older = "/admin/audit?" + FormQuery({**form.values, "before_id": str(entries[-1].id)}) \
            .text()
    context: dict[str, Any] = {
        "nav": "audit", "form": form, "older": older, "tenants": known_tenants(session),
        "entries": [AuditPublic.of(entry).model_dump(mode="json") for entry in entries],
    }
    return render(request, "audit.html", context)
