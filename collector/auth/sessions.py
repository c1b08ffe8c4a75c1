"""Console sessions: opening, resuming with sliding expiry, closing, and the cookie.

Owns: the session id (32 random bytes, shown once in the `yamori_session`
cookie; the table keeps only its sha256), the per-session CSRF token,
sliding expiry (every use pushes `expires_at` to now + session_ttl_seconds;
the row is written at most every TOUCH_SECONDS so that polling pages do
not turn every read into a write) and the cookie's attributes: HttpOnly,
SameSite=Lax, Path=/, Secure unless the config says otherwise, and no
Max-Age (the server, not the browser, decides when a session ends, and
a browser that is closed forgets it). Does not own: who may sign in
(login.py) or how requests find their user (deps.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from collector.auth.models import ConsoleSession, User
from collector.fleet.liveness import as_utc

COOKIE_NAME = "yamori_session"
TOUCH_SECONDS = 60.0


@dataclass(slots=True, frozen=True)
class IssuedSession:
    """A new session as handed to the client once."""

    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(slots=True, frozen=True)
class ResumedSession:
    """A live session and its user, as found for a request."""

    user: User
    session_digest: str
    csrf_token: str
    expires_at: datetime


def session_digest(token: str) -> str:
    """What the table stores for a session id."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Session, user: User, ttl_seconds: float,
                 now: datetime | None = None) -> IssuedSession:
    """Add a session for `user` (the caller commits); expired sessions are swept on the way."""
    now = now or datetime.now(UTC)
    db.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + timedelta(seconds=ttl_seconds)
    db.add(ConsoleSession(id_sha256=session_digest(token), username=user.username,
                          created_at=now, last_seen_at=now, expires_at=expires, csrf_token=csrf))
    return IssuedSession(token, csrf, expires)


def resume_session(db: Session, token: str, ttl_seconds: float,
                   now: datetime | None = None) -> ResumedSession | None:
    """The live session for `token` and its enabled user, expiry slid forward; None otherwise."""
    now = now or datetime.now(UTC)
    digest = session_digest(token)
    found = db.execute(select(ConsoleSession, User).join(User)
                       .where(ConsoleSession.id_sha256 == digest)).first()
    if found is None:
        return None
    row, user = found.tuple()
    if as_utc(row.expires_at) <= now or user.disabled:
        db.delete(row)
        db.commit()
        return None
    if (now - as_utc(row.last_seen_at)).total_seconds() >= min(TOUCH_SECONDS, ttl_seconds / 10):
        row.last_seen_at = now
        row.expires_at = now + timedelta(seconds=ttl_seconds)
        db.commit()
    return ResumedSession(user, digest, row.csrf_token, as_utc(row.expires_at))


def close_session(db: Session, digest: str) -> None:
    """Delete the session whose id hashes to `digest` and commit."""
    db.execute(delete(ConsoleSession).where(ConsoleSession.id_sha256 == digest))
    db.commit()


def end_user_sessions(db: Session, username: str) -> None:
    """Delete every session of `username` (password reset, disabling); the caller commits."""
    db.execute(delete(ConsoleSession).where(ConsoleSession.username == username))


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    """Hand the session id to the browser (see the module docstring for the attributes)."""
    response.set_cookie(COOKIE_NAME, token, path="/", httponly=True, samesite="lax",
                        secure=secure)


def clear_session_cookie(response: Response, secure: bool) -> None:
    """Tell the browser to forget the session id."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=secure)
