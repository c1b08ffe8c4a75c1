"""Request dependencies for console users: who is asking, and may they.

`CurrentUser` is the authenticated Principal (401 without a valid session
cookie or the admin bearer token), `StaffUser` admits admins and analysts,
`AdminUser` admins only; `OptionalUser`/`OptionalSignedIn` are for pages,
which redirect to /login instead of answering 401 (`login_redirect`).
`admin_api_auth` is the fleet admin API's gate: the admin bearer token as
before, or a signed-in admin. Routes depend on these; tests may override
`current_user` through `app.dependency_overrides`.

CSRF: every unsafe request (POST, PUT, PATCH, DELETE) authenticated by the
session cookie must carry the session's token in the `X-CSRF-Token` header
or the `csrf_token` form field (403 otherwise). Bearer-token requests (the
admin API, scripts) carry no ambient credential and need none.
The user found for a request is left on `request.state.principal`, where the
templates' language lookup finds it. Does not own: signing in (login.py) or
the session table (sessions.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from collector.auth.principal import Principal
from collector.auth.sessions import COOKIE_NAME, resume_session
from collector.auth.users import principal_of
from yamori.errors import IngestError

if TYPE_CHECKING:  # fleet/admin.py gates its routes with admin_api_auth: no runtime import
    from collector.fleet.admin import FleetState
    from collector.state import AppState

# Scripts and the demo use the admin bearer token (collector config
# admin_token_file); they act as this admin principal.
ADMIN_TOKEN_USER = "admin-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(slots=True, frozen=True)
class SignedIn:
    """The identity behind a request and, for a session, its id digest and CSRF token."""

    principal: Principal
    session_digest: str | None = None  # None: the admin bearer token
    csrf_token: str | None = None
    expires_at: datetime | None = None


def signed_in(request: Request) -> SignedIn | None:
    """The admin bearer token's principal, else the live session's user, else None."""
    cached: SignedIn | None | bool = getattr(request.state, "signed_in", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    admin = bearer_admin(request)
    found = SignedIn(admin) if admin is not None else _session_user(request)
    request.state.signed_in = found
    if found is not None:
        request.state.principal = found.principal
    return found


def _session_user(request: Request) -> SignedIn | None:
    token = request.cookies.get(COOKIE_NAME)
    if not token:
        return None
    state: AppState = request.app.state.collector
    with state.database.session() as db:
        resumed = resume_session(db, token, state.config.session_ttl_seconds)
    if resumed is None:
        return None
    return SignedIn(principal_of(resumed.user), resumed.session_digest, resumed.csrf_token,
                    resumed.expires_at)


def bearer_admin(request: Request) -> Principal | None:
    """The admin principal when the request carries the configured admin bearer token."""
    fleet: FleetState = request.app.state.fleet
    token = _bearer_token(request)
    if fleet.admin_digest is None or token is None:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    if not hmac.compare_digest(digest, fleet.admin_digest):
        raise IngestError("invalid bearer token", 401)
    return Principal(ADMIN_TOKEN_USER, "admin")


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token an unsafe request carries: the header, else the form field."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)  # cached: the route reads it again
        return value if isinstance(value, str) else None
    return None


SubmittedCsrf = Annotated[str | None, Depends(submitted_csrf)]


def check_csrf(request: Request, found: SignedIn, submitted: str | None) -> None:
    """403 unless a cookie-authenticated unsafe request carries its session's token."""
    if request.method in SAFE_METHODS or found.csrf_token is None:
        return
    if submitted is None or not hmac.compare_digest(submitted.encode(),
                                                    found.csrf_token.encode()):
        raise IngestError(f"CSRF token missing or wrong: send the session's token in header "
                          f"{CSRF_HEADER} or form field {CSRF_FIELD}", 403)


def signed_in_checked(request: Request, csrf: SubmittedCsrf) -> SignedIn:
    """The signed-in identity (401 without one), CSRF checked for unsafe methods."""
    found = signed_in(request)
    if found is None:
        raise IngestError("sign in required", 401)
    check_csrf(request, found, csrf)
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in_checked)]


def current_user(found: SignedInDep) -> Principal:
    """The signed-in user: a session cookie (CSRF checked) or the admin bearer token."""
    return found.principal


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


def optional_signed_in(request: Request) -> SignedIn | None:
    """For pages: the signed-in identity or None (safe methods only: no CSRF check here)."""
    return signed_in(request)


OptionalSignedIn = Annotated[SignedIn | None, Depends(optional_signed_in)]


def optional_user(found: OptionalSignedIn) -> Principal | None:
    return None if found is None else found.principal


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def login_redirect(request: Request) -> RedirectResponse:
    """Send a browser that is not signed in to the login page, and back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)


def admin_api_auth(request: Request, csrf: SubmittedCsrf) -> Principal:
    """The fleet admin API's gate: the admin bearer token, or a signed-in admin.

    A bearer token is judged as before (403 when no admin token is
    configured, 401 when it is wrong); without one, a session admin is
    admitted (CSRF checked), other users get 403 and anonymous callers 401.
    """
    fleet: FleetState = request.app.state.fleet
    if _bearer_token(request) is not None:
        if fleet.admin_digest is None:
            raise IngestError("admin API disabled: set admin_token_file in the collector config",
                              403)
        admin = bearer_admin(request)
        assert admin is not None  # a wrong token raised 401
        return admin
    found = signed_in(request)
    if found is None:
        raise IngestError("admin bearer token or an admin's session required", 401)
    check_csrf(request, found, csrf)
    if found.principal.role != "admin":
        raise IngestError("admins only", 403)
    return found.principal
