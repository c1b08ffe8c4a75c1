"""The accounts API's request and answer records (pydantic).

Owns: `LoginRequest`, `SessionPublic`, `LanguageChange`, `UserCreate`,
`UserUpdate` (only the fields sent are changed; `tenant: null` clears it),
`UserPublic` (never the hash) and `AuditPublic`. Unknown fields are refused.
Does not own: the rules the values must follow (users.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from collector.audit import AuditEntry
from collector.auth.models import User
from collector.auth.principal import Role

Language = Literal["ja", "en"]


class LoginRequest(BaseModel):
    """POST /api/v1/session body."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=4096)


class SessionPublic(BaseModel):
    """Who am I: GET/POST /api/v1/session answer."""

    username: str
    role: Role
    tenant: str | None
    lang: str
    # Null for the admin bearer token: it is not a cookie and needs no CSRF token.
    csrf_token: str | None
    expires_at: datetime | None


class LanguageChange(BaseModel):
    """PUT /api/v1/session/language body."""

    model_config = ConfigDict(extra="forbid")

    lang: Language


class UserCreate(BaseModel):
    """POST /api/v1/users body."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=4096)
    role: Role
    tenant: str | None = Field(default=None, min_length=1, max_length=128)
    language: Language = "ja"


class UserUpdate(BaseModel):
    """PATCH /api/v1/users/{username} body: any subset of the fields."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    tenant: str | None = Field(default=None, min_length=1, max_length=128)
    disabled: bool | None = None
    language: Language | None = None
    password: str | None = Field(default=None, min_length=1, max_length=4096)

    def changes(self) -> dict[str, Any]:
        """The fields the client sent; only `tenant` may be sent as null."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {k: v for k, v in sent.items() if v is not None or k == "tenant"}


class UserPublic(BaseModel):
    """A user as the API shows it."""

    username: str
    role: Role
    tenant: str | None
    language: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(username=user.username, role=user.role,  # type: ignore[arg-type]
                   tenant=user.tenant, language=user.language, disabled=user.disabled,
                   created_at=_utc(user.created_at), last_login_at=_utc(user.last_login_at))


class AuditPublic(BaseModel):
    """One audit log entry."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    tenant: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditPublic:
        return cls(id=entry.id, at=_utc(entry.at), actor=entry.actor, action=entry.action,
                   target=entry.target, tenant=entry.tenant, detail=json.loads(entry.detail))


def _utc(when: datetime | None) -> Any:
    # SQLite hands back naive datetimes; the collector stores UTC.
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
