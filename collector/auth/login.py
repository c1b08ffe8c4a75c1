"""Signing in: throttle, verify, open a session — the same path for the form and the JSON API.

Owns: `sign_in`, which refuses with `LoginLocked` (429, with the seconds to
wait) while the account or the client address is locked out — even for the
right password, so a lockout cannot be used to confirm a guess — and with
`LoginFailed` (401, one message for every cause) otherwise. An unknown or
disabled account costs the same argon2 work as a wrong password, so timing
does not tell whether a username exists. Every failure and every refusal is
logged at WARNING with the username and address, never the password.
Does not own: the tables (models.py), the counting (throttle.py) or HTTP.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import NoReturn

from sqlalchemy.orm import Session

from collector.auth.models import User
from collector.auth.passwords import burn_verify, hash_password, needs_rehash, verify_password
from collector.auth.sessions import IssuedSession, open_session
from collector.auth.throttle import clear_failures, lockout, record_failure
from collector.auth.users import get_user, loggable_username
from collector.config import CollectorConfig
from yamori.errors import IngestError

log = logging.getLogger(__name__)


class LoginFailed(IngestError):
    """Wrong username or password (deliberately not saying which)."""

    def __init__(self) -> None:
        super().__init__("invalid username or password", 401)


class LoginLocked(IngestError):
    """Too many recent failures for the account or the address."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed logins: try again in {self.retry_after} s", 429)


def sign_in(db: Session, config: CollectorConfig, username: str, password: str,
            address: str, now: datetime | None = None) -> tuple[User, IssuedSession]:
    """Check the credentials and open a session (committed); raises LoginLocked or LoginFailed."""
    now = now or datetime.now(UTC)
    name = loggable_username(username)
    locked = lockout(db, name, address, config.login_max_failures,
                     config.login_window_seconds, now)
    if locked is not None:
        log.warning("login refused: %s locked out (user %r from %s), retry in %.0f s",
                    locked.scope, name, address, locked.retry_after)
        raise LoginLocked(locked.retry_after)
    user = _checked_user(db, name, password)
    if user is None:
        _fail(db, config, name, address, now)
    clear_failures(db, name)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    issued = open_session(db, user, config.session_ttl_seconds, now)
    db.commit()
    log.debug("user %r signed in from %s", name, address)
    return user, issued


def _checked_user(db: Session, name: str, password: str) -> User | None:
    user = get_user(db, name)
    if user is None:
        burn_verify(password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    return user


def _fail(db: Session, config: CollectorConfig, name: str, address: str, now: datetime) -> NoReturn:
    record_failure(db, name, address, config.login_window_seconds, now)
    db.commit()
    log.warning("login failed: user %r from %s", name, address)
    locked = lockout(db, name, address, config.login_max_failures,
                     config.login_window_seconds, now)
    if locked is not None:
        log.warning("login lockout: %s of user %r from %s for %.0f s",
                    locked.scope, name, address, locked.retry_after)
    raise LoginFailed()
