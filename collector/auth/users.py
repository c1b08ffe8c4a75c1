"""Console accounts: creating, finding, changing them, and what a user looks like to requests.

Owns: username rules (lowercase letters, digits and `._@-`, 1..64, case
folded so `Alice` and `alice` are one account), the role/tenant rule (a
customer viewer has exactly one tenant, staff have none), password changes
(policy checked, argon2 hashed, every session of the account ended), the
rule that the last enabled admin can be neither disabled nor demoted, and
`principal_of`. Every function leaves committing to its caller, so that an
admin's change and its audit entry are one transaction. Does not own:
hashing (passwords.py), HTTP (routes) or the audit table (collector/audit.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.auth.models import User
from collector.auth.passwords import check_policy, hash_password
from collector.auth.principal import ROLES, Principal, Role
from collector.auth.sessions import end_user_sessions
from collector.i18n import LANGUAGES
from yamori.errors import IngestError

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._@-]{0,63}$"
_USERNAME = re.compile(USERNAME_PATTERN)
CHANGEABLE = ("role", "tenant", "disabled", "language", "password")


def normalize_username(username: str) -> str:
    """The stored form of a username as typed."""
    return username.strip().lower()


def get_user(db: Session, username: str) -> User | None:
    """The account named `username` (as typed), or None."""
    name = normalize_username(username)
    # A name no account can have is not looked up (PostgreSQL refuses NUL in text).
    return db.get(User, name) if _USERNAME.match(name) else None


def loggable_username(username: str) -> str:
    """`username` as typed, cut to 64 printable characters: safe to store and to log."""
    return "".join(c for c in normalize_username(username) if c.isprintable())[:64]


def list_users(db: Session) -> list[User]:
    """Every account, by username."""
    return list(db.scalars(select(User).order_by(User.username)))


def create_user(db: Session, username: str, password: str, role: str,
                tenant: str | None = None, language: str = "ja",
                now: datetime | None = None) -> User:
    """Add a new account (the caller commits); 409 if the name is taken, 422 if invalid."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise IngestError("username: 1..64 of a-z 0-9 . _ @ - (starting with a letter or digit)",
                          422)
    _check_role_tenant(role, tenant)
    _check_language(language)
    check_policy(name, password)
    if db.get(User, name) is not None:
        raise IngestError(f"user '{name}' already exists", 409)
    user = User(username=name, password_hash=hash_password(password), role=role, tenant=tenant,
                language=language, disabled=False, created_at=now or datetime.now(UTC))
    db.add(user)
    return user


def set_password(db: Session, user: User, password: str) -> None:
    """Replace `user`'s password and sign them out everywhere (the caller commits)."""
    check_policy(user.username, password)
    user.password_hash = hash_password(password)
    end_user_sessions(db, user.username)


def update_user(db: Session, user: User, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply `changes` (keys from CHANGEABLE); returns what changed, passwords redacted."""
    unknown = set(changes) - set(CHANGEABLE)
    if unknown:
        raise IngestError(f"cannot change {', '.join(sorted(unknown))}", 422)
    role = changes.get("role", user.role)
    tenant = changes.get("tenant", user.tenant)
    _check_role_tenant(role, tenant)
    if "language" in changes:
        _check_language(changes["language"])
    if "password" in changes:
        check_policy(user.username, changes["password"])
    disabled = bool(changes.get("disabled", user.disabled))
    if user.role == "admin" and (role != "admin" or disabled):
        _keep_an_admin(db, user)
    changed = _assign(user, {"role": role, "tenant": tenant, "disabled": disabled,
                             "language": changes.get("language", user.language)})
    if "password" in changes:
        set_password(db, user, changes["password"])
        changed["password"] = "reset"
    elif changed.get("disabled") is True:
        end_user_sessions(db, user.username)
    return changed


def _assign(user: User, values: Mapping[str, Any]) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    for field, value in values.items():
        if getattr(user, field) != value:
            changed[field] = value
            setattr(user, field, value)
    return changed


def _keep_an_admin(db: Session, user: User) -> None:
    others = db.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.disabled.is_(False), User.username != user.username))
    if not others and not user.disabled:
        raise IngestError("the last enabled admin cannot be disabled or demoted", 409)


def _check_role_tenant(role: str, tenant: str | None) -> None:
    if role not in ROLES:
        raise IngestError(f"role must be one of {', '.join(ROLES)}", 422)
    if role == "customer" and not tenant:
        raise IngestError("a customer viewer needs a tenant", 422)
    if role != "customer" and tenant is not None:
        raise IngestError("only customer viewers have a tenant (admins and analysts see all)",
                          422)
    if tenant is not None and (len(tenant) > 128 or not tenant.isprintable()):
        raise IngestError("tenant must be at most 128 printable characters", 422)


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise IngestError(f"language must be one of {', '.join(LANGUAGES)}", 422)


def principal_of(user: User) -> Principal:
    """How routes and queries see `user`."""
    return Principal(user.username, cast(Role, user.role), user.tenant, user.language)
