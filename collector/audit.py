"""The audit log: every triage action and every admin action, append-only.

Owns: `AuditEntry` and `record_audit`, which the routes call inside the same
transaction as the change they audit (so a change is never without its
entry), and `audit_entries` for the console. Does not own: what the actions do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from collector.models import Base, CursorId


class AuditEntry(Base):
    """One action by one actor on one target."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(128))  # a username, or "system"/"cli"
    action: Mapped[str] = mapped_column(String(64))  # e.g. incident.acknowledge, user.create
    target: Mapped[str] = mapped_column(String(256))  # e.g. incident:42, user:alice
    tenant: Mapped[str | None] = mapped_column(String(128), default=None)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON

    __table_args__ = (Index("ix_audit_log_tenant_id", "tenant", "id"),)


def record_audit(session: Session, actor: str, action: str, target: str,
                 detail: dict[str, Any] | None = None, tenant: str | None = None,
                 now: datetime | None = None) -> AuditEntry:
    """Add an entry in the caller's transaction (the caller commits with its change)."""
    entry = AuditEntry(at=now or datetime.now(UTC), actor=actor, action=action, target=target,
                       tenant=tenant, detail=json.dumps(detail or {}, sort_keys=True, default=str))
    session.add(entry)
    return entry


def audit_entries(session: Session, tenant: str | None = None, limit: int = 100,
                  before_id: int | None = None) -> list[AuditEntry]:
    """Newest first; only `tenant`'s entries when given."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if tenant is not None:
        query = query.where(AuditEntry.tenant == tenant)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query))
