"""Login throttling: how many recent failures an account or an address has, and until when.

Owns: counting `login_failures` within login_window_seconds, per username and
per client address, and the lockout that follows login_max_failures of
either: `lockout` says for how long (the time until the count drops below
the limit, which becomes the Retry-After). Attempts made during a lockout are
not counted, so a guesser cannot keep an account locked for ever by
hammering it. A successful login forgets its account's failures (not its
address's). Does not own: checking passwords (login.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from collector.auth.models import LoginFailure
from collector.fleet.liveness import as_utc


@dataclass(slots=True, frozen=True)
class Lockout:
    """Why logins are refused and for how many more seconds."""

    scope: str  # "account" or "address"
    retry_after: float


def lockout(db: Session, username: str, address: str, max_failures: int,
            window_seconds: float, now: datetime) -> Lockout | None:
    """The lockout in force for `username` or `address`, or None."""
    for scope, column, value in (("account", LoginFailure.username, username),
                                 ("address", LoginFailure.address, address)):
        remaining = _remaining(db, column, value, max_failures, window_seconds, now)
        if remaining > 0:
            return Lockout(scope, remaining)
    return None


def _remaining(db: Session, column: InstrumentedAttribute[str], value: str, max_failures: int,
               window_seconds: float, now: datetime) -> float:
    # Newest first: the max_failures-th newest failure is the one whose
    # leaving the window brings the count below the limit.
    since = now - timedelta(seconds=window_seconds)
    times = list(db.scalars(select(LoginFailure.at)
                            .where(column == value, LoginFailure.at > since)
                            .order_by(LoginFailure.at.desc()).limit(max_failures)))
    if len(times) < max_failures:
        return 0.0
    return (as_utc(times[-1]) + timedelta(seconds=window_seconds) - now).total_seconds()


def record_failure(db: Session, username: str, address: str, window_seconds: float,
                   now: datetime) -> None:
    """Count one failure (the caller commits); failures older than the window are dropped."""
    db.execute(delete(LoginFailure)
               .where(LoginFailure.at <= now - timedelta(seconds=window_seconds)))
    db.add(LoginFailure(at=now, username=username, address=address))


def clear_failures(db: Session, username: str) -> None:
    """Forget `username`'s failures after it signed in (the caller commits)."""
    db.execute(delete(LoginFailure).where(LoginFailure.username == username))
