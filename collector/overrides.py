"""Per-tenant rule overrides: the one table both the console and the ruleset delivery use.

Owns: `TenantOverride` (disable a sid, suppress it — for one address or all —
or threshold it, for one tenant), and the small repo functions to add, list
and retire them. The console's "suppress" triage action writes here; the
heartbeat answer layers the tenant's active overrides on the bundle it offers
(as `uplink.schema.RuleOverride`). Overrides only ever take alerting away,
never add detection, so they need no vendor signature. Does not own: bundles
(collector/rulesets) or triage (collector/incidents).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from collector.models import Base, CursorId
from uplink.schema import RuleOverride


class TenantOverride(Base):
    """One override of one rule for one tenant; retired ones are kept for the audit trail."""

    __tablename__ = "tenant_overrides"

    id: Mapped[int] = mapped_column(CursorId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # disable | suppress | threshold
    gid: Mapped[int] = mapped_column(BigInteger, default=1)
    sid: Mapped[int] = mapped_column(BigInteger)
    track: Mapped[str | None] = mapped_column(String(16), default=None)
    ip: Mapped[str | None] = mapped_column(String(64), default=None)
    type: Mapped[str | None] = mapped_column(String(16), default=None)
    count: Mapped[int | None] = mapped_column(Integer, default=None)
    seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    __table_args__ = (Index("ix_tenant_overrides_tenant", "tenant", "retired_at"),)

    def to_wire(self) -> RuleOverride:
        return RuleOverride(kind=self.kind, gid=self.gid, sid=self.sid, track=self.track,
                            ip=self.ip, type=self.type, count=self.count, seconds=self.seconds)


def add_override(session: Session, tenant: str, override: RuleOverride, created_by: str,
                 reason: str = "", now: datetime | None = None) -> TenantOverride:
    """Record `override` for `tenant` (validated by RuleOverride); the caller commits."""
    row = TenantOverride(tenant=tenant, kind=override.kind, gid=override.gid, sid=override.sid,
                         track=override.track, ip=override.ip, type=override.type,
                         count=override.count, seconds=override.seconds, reason=reason,
                         created_by=created_by, created_at=now or datetime.now(UTC))
    session.add(row)
    session.flush()
    return row


def retire_override(session: Session, override_id: int, tenant: str | None = None,
                    now: datetime | None = None) -> bool:
    """Retire one active override (only within `tenant` when given); False if none matched."""
    row = session.get(TenantOverride, override_id)
    if row is None or row.retired_at is not None or (tenant is not None and row.tenant != tenant):
        return False
    row.retired_at = now or datetime.now(UTC)
    return True


def active_overrides(session: Session, tenant: str) -> list[TenantOverride]:
    """The tenant's active overrides, oldest first (a stable order for the digest)."""
    query = (select(TenantOverride)
             .where(TenantOverride.tenant == tenant, TenantOverride.retired_at.is_(None))
             .order_by(TenantOverride.id))
    return list(session.scalars(query))


def overrides_digest(overrides: list[RuleOverride]) -> str | None:
    """A short digest naming a set of overrides (None for none), for effective versions."""
    if not overrides:
        return None
    canonical = json.dumps([o.model_dump(mode="json") for o in overrides],
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def effective_version(bundle_version: str, overrides: list[RuleOverride]) -> str:
    """"<bundle version>+o<digest>", or the bundle version when there are no overrides."""
    digest = overrides_digest(overrides)
    return bundle_version if digest is None else f"{bundle_version}+o{digest}"
