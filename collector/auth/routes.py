"""Signing in and out: the login page, logout, and the session API (who am I, language).

Owns: GET/POST /login (the HTML form, in the visitor's language; a
per-form token in a short-lived cookie guards it against login CSRF, the
same double-submit idea as the session's CSRF token), POST /logout,
GET/POST/DELETE /api/v1/session (the JSON twin for API clients) and
PUT /api/v1/session/language. A lockout answers 429 with Retry-After.
The router also carries the admin API (admin_routes.py).
Does not own: the login rules (login.py) or sessions (sessions.py).
"""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from collector.api.deps import SessionDep, StateDep
from collector.auth import admin_routes
from collector.auth.deps import (
    OptionalSignedIn,
    SignedIn,
    SignedInDep,
    SubmittedCsrf,
    check_csrf,
)
from collector.auth.login import LoginFailed, LoginLocked, sign_in
from collector.auth.schemas import LanguageChange, LoginRequest, SessionPublic
from collector.auth.sessions import (
    COOKIE_NAME,
    clear_session_cookie,
    close_session,
    session_digest,
    set_session_cookie,
)
from collector.auth.users import get_user, principal_of
from collector.i18n import LANGUAGES, translate
from collector.i18n.web import LANG_COOKIE, request_language
from collector.state import AppState
from yamori.errors import IngestError

router = APIRouter(tags=["auth"])
router.include_router(admin_routes.router)
SESSION_PATH = "/api/v1/session"
LOGIN_FORM_COOKIE = "yamori_login_form"
LANG_COOKIE_SECONDS = 365 * 86400
FormText = Annotated[str, Form(max_length=4096)]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, state: StateDep, found: OptionalSignedIn,
               next_path: Annotated[str, Query(alias="next")] = "/",
               lang: Annotated[str | None, Query(pattern="^(ja|en)$")] = None) -> Response:
    """The sign-in form; `lang` switches (and remembers) the page's language."""
    if lang is not None:
        request.state.lang = lang
    if found is not None and lang is None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    response = render_login(request, state, next_path)
    if lang is not None:
        remember_language(response, lang, state)
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, state: StateDep, db: SessionDep,
                 username: FormText = "", password: FormText = "", csrf_token: FormText = "",
                 next_path: Annotated[str, Form(alias="next", max_length=2048)] = "/") -> Response:
    """Check the form; on success set the session cookie and go to `next`."""
    expected = request.cookies.get(LOGIN_FORM_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return render_login(request, state, next_path, "login.form_expired", 403, username)
    try:
        user, issued = sign_in(db, state.config, username, password, client_address(request))
    except LoginLocked as exc:
        minutes = math.ceil(exc.retry_after / 60)
        answer = render_login(request, state, next_path, "login.locked", 429, username,
                              minutes=minutes)
        answer.headers["Retry-After"] = str(exc.retry_after)
        return answer
    except LoginFailed:
        return render_login(request, state, next_path, "login.failed", 401, username)
    drop_previous_session(request, state)
    response = RedirectResponse(safe_next(next_path), status_code=303)
    set_session_cookie(response, issued.token, state.config.cookie_secure)
    response.delete_cookie(LOGIN_FORM_COOKIE, path="/login")
    remember_language(response, user.language, state)
    return response


def render_login(request: Request, state: AppState, next_path: str, error: str | None = None,
                 status: int = 200, username: str = "", **params: object) -> Response:
    """The login page with a fresh form token (and `error`, a catalog key, if any)."""
    form_token = secrets.token_urlsafe(32)
    lang = request_language(request)
    context = {"next": safe_next(next_path), "csrf_token": form_token, "username": username[:64],
               "error": translate(lang, error, **params) if error else None,
               "languages": LANGUAGES}
    response = state.templates.TemplateResponse(request, "login.html", context,
                                                status_code=status)
    response.set_cookie(LOGIN_FORM_COOKIE, form_token, path="/login", httponly=True,
                        samesite="strict", secure=state.config.cookie_secure, max_age=3600)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout")
def logout(request: Request, state: StateDep, found: OptionalSignedIn,
           csrf: SubmittedCsrf) -> Response:
    """End this session (CSRF checked) and go to the login page (also if it had ended)."""
    if found is not None:
        check_csrf(request, found, csrf)
        _end(state, found)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, state.config.cookie_secure)
    return response


@router.get(SESSION_PATH, response_model=SessionPublic)
def who_am_i(found: SignedInDep) -> SessionPublic:
    """The signed-in user, role, tenant, language and the CSRF token for unsafe requests."""
    return session_public(found)


@router.post(SESSION_PATH, response_model=SessionPublic)
def api_login(body: LoginRequest, request: Request, response: Response, state: StateDep,
              db: SessionDep) -> SessionPublic | JSONResponse:
    """Sign in with JSON; the session cookie is set on the answer."""
    try:
        user, issued = sign_in(db, state.config, body.username, body.password,
                               client_address(request))
    except LoginLocked as exc:
        return JSONResponse({"error": str(exc)}, status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})
    drop_previous_session(request, state)
    set_session_cookie(response, issued.token, state.config.cookie_secure)
    return SessionPublic(username=user.username, role=user.role,  # type: ignore[arg-type]
                         tenant=user.tenant, lang=user.language, csrf_token=issued.csrf_token,
                         expires_at=issued.expires_at)


@router.delete(SESSION_PATH, status_code=204)
def api_logout(found: SignedInDep, state: StateDep) -> Response:
    """End this session (CSRF checked); the cookie is cleared."""
    _end(state, found)
    response = Response(status_code=204)
    clear_session_cookie(response, state.config.cookie_secure)
    return response


@router.put(SESSION_PATH + "/language", response_model=SessionPublic)
def change_language(body: LanguageChange, found: SignedInDep, response: Response,
                    db: SessionDep, state: StateDep, request: Request) -> SessionPublic:
    """Store the signed-in user's language; pages answer in it from the next request on."""
    user = get_user(db, found.principal.username) if found.session_digest else None
    if user is None:
        raise IngestError("the admin bearer token has no stored language", 400)
    user.language = body.lang
    db.commit()
    remember_language(response, body.lang, state)
    updated = SignedIn(principal_of(user), found.session_digest, found.csrf_token,
                       found.expires_at)
    request.state.principal = updated.principal
    return session_public(updated)


def session_public(found: SignedIn) -> SessionPublic:
    principal = found.principal
    return SessionPublic(username=principal.username, role=principal.role,
                         tenant=principal.tenant, lang=principal.lang,
                         csrf_token=found.csrf_token, expires_at=found.expires_at)


def _end(state: AppState, found: SignedIn) -> None:
    if found.session_digest is not None:
        with state.database.session() as db:
            close_session(db, found.session_digest)


def drop_previous_session(request: Request, state: AppState) -> None:
    """Signing in again replaces the browser's session: the old id stops working."""
    token = request.cookies.get(COOKIE_NAME)
    if token:
        with state.database.session() as db:
            close_session(db, session_digest(token))


def remember_language(response: Response, lang: str, state: AppState) -> None:
    """The login page speaks this language to the browser, signed in or not."""
    response.set_cookie(LANG_COOKIE, lang, path="/", max_age=LANG_COOKIE_SECONDS,
                        httponly=True, samesite="lax", secure=state.config.cookie_secure)


def client_address(request: Request) -> str:
    """The peer address the throttle counts (the proxy's, behind a reverse proxy)."""
    return request.client.host if request.client else "unknown"


def safe_next(path: str) -> str:
    """`path` when it stays on this site (an absolute path), else "/": no open redirect."""
    # Browsers drop tabs and newlines from URLs: "/\t/evil.example" would become "//…".
    if (not path.startswith("/") or path.startswith("//") or "\\" in path
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in path)):
        return "/"
    return path
