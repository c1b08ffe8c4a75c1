"""Request dependencies for console users (interface; sessions land with issue 7's auth work).

`CurrentUser` is the authenticated Principal (401 without a valid session),
`StaffUser` admits admins and analysts, `AdminUser` admins only. Routes
depend on these; tests may override `current_user` through
`app.dependency_overrides`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request

from collector.auth.principal import Principal
from collector.fleet.admin import FleetState
from yamori.errors import IngestError

# Scripts and the demo use the admin bearer token (collector config
# admin_token_file); they act as this admin principal.
ADMIN_TOKEN_USER = "admin-token"


def current_user(request: Request) -> Principal:
    """The signed-in user: the admin bearer token for machines (sessions come next)."""
    admin = bearer_admin(request)
    if admin is not None:
        return admin
    raise IngestError("sign in required", 401)


def bearer_admin(request: Request) -> Principal | None:
    """The admin principal when the request carries the configured admin bearer token."""
    fleet: FleetState = request.app.state.fleet
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if fleet.admin_digest is None or scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    if not hmac.compare_digest(digest, fleet.admin_digest):
        raise IngestError("invalid bearer token", 401)
    return Principal(ADMIN_TOKEN_USER, "admin")


CurrentUser = Annotated[Principal, Depends(current_user)]


def staff_user(user: CurrentUser) -> Principal:
    if not user.is_staff:
        raise IngestError("analysts and admins only", 403)
    return user


def admin_user(user: CurrentUser) -> Principal:
    if user.role != "admin":
        raise IngestError("admins only", 403)
    return user


StaffUser = Annotated[Principal, Depends(staff_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]
