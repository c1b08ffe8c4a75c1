"""The console's account tables: users, their sessions, and failed logins.

Owns: `users` (one row per console account; only an argon2 hash of the
password), `console_sessions` (one row per signed-in browser or API client;
only the sha256 of the session id, so a leaked database cannot be replayed as
cookies) and `login_failures` (what the login throttle counts, per username
and per client address). All three live in the database, not in process
memory, so that every collector process behind one address sees the same
sessions and the same lockouts. Does not own: hashing (passwords.py), the
session lifecycle (sessions.py) or the throttle's arithmetic (throttle.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import Base, CursorId


class User(Base):
    """A console account: an admin, an analyst, or a customer viewer of one tenant."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin | analyst | customer
    tenant: Mapped[str | None] = mapped_column(String(128), default=None)  # customers only
    language: Mapped[str] = mapped_column(String(8), default="ja")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class ConsoleSession(Base):
    """A signed-in client; the cookie holds the id, the table only its sha256."""

    __tablename__ = "console_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))


class LoginFailure(Base):
    """One failed login: counted per username and per client address within a window."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )
