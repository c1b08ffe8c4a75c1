"""Queries on `alerts`: idempotent insert and the feed.

Owns: the idempotent insert (one `INSERT … ON CONFLICT (alert_id) DO NOTHING`
executemany, so a concurrent twin never raises and duplicates are counted by
rowcount), and the feed query with its filters and id cursors. Does not
own: turning wire records into rows (ingest/rows.py) or HTTP parameters
(api/deps.py).

Severity follows Suricata: 1 is the most severe, so `min_severity=2` keeps
alerts of severity 1 and 2 (severity <= 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.models import Alert

_S = TypeVar("_S", bound=Select[Any])


@dataclass(slots=True, frozen=True)
class FeedFilter:
    """What the feed and the stream select; None means "any"."""

    since_epoch: float | None = None
    min_severity: int | None = None
    sensor_id: str | None = None
    tenant: str | None = None
    signature_id: int | None = None
    after_id: int | None = None
    before_id: int | None = None


@dataclass(slots=True)
class FeedPage:
    """One page of the feed, as the API answers it."""

    alerts: list[dict[str, Any]]
    next_before_id: int | None
    next_after_id: int | None


def insert_new_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose alert_id is not stored yet (caller commits); return how many.

    Rows repeating an alert_id, stored before or earlier in `rows`, are skipped
    by the database itself, so the count is exact even against a concurrent
    twin. Core executemany, not the ORM: this is the collector's hot path.
    """
    if not rows:
        return 0
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # pysqlite sums an executemany's rowcount; a skipped conflict counts 0.
        stmt = sqlite.insert(Alert).on_conflict_do_nothing(index_elements=["alert_id"])
        return int(conn.execute(stmt, list(rows)).rowcount)
    if dialect == "postgresql":
        # SQLAlchemy's psycopg executemany reports rowcount -1: count what RETURNING gives.
        pg = postgresql.insert(Alert).on_conflict_do_nothing(index_elements=["alert_id"])
        return len(conn.execute(pg.returning(Alert.alert_id), list(rows)).all())
    raise NotImplementedError(f"idempotent alert insert for dialect {dialect!r}")


def feed_page(session: Session, flt: FeedFilter, limit: int) -> FeedPage:
    """Newest first, or oldest first after `after_id` (the live-client cursor)."""
    ascending = flt.after_id is not None
    order = Alert.id.asc() if ascending else Alert.id.desc()
    rows = list(session.scalars(_filtered(select(Alert), flt).order_by(order).limit(limit)))
    alerts = [public_alert(row) for row in rows]
    next_before = rows[-1].id if rows and not ascending and len(rows) == limit else None
    next_after = rows[-1].id if rows and ascending else flt.after_id
    return FeedPage(alerts, next_before, next_after)


def alerts_after(session: Session, flt: FeedFilter, after_id: int, limit: int) -> list[Alert]:
    """Up to `limit` alerts with id > after_id, oldest first (for the stream)."""
    stmt = _filtered(select(Alert), flt).where(Alert.id > after_id)
    return list(session.scalars(stmt.order_by(Alert.id.asc()).limit(limit)))


def last_alert_id(session: Session) -> int:
    """The highest id stored, 0 when empty."""
    return session.scalar(select(func.max(Alert.id))) or 0


def public_alert(row: Alert) -> dict[str, Any]:
    """The full EVE record plus the collector's fields, as the API shows it."""
    record: dict[str, Any] = {"id": row.id}
    record.update(json.loads(row.eve))
    record.update(alert_id=row.alert_id, sensor_id=row.sensor_id, tenant=row.tenant)
    return record


def _filtered(stmt: _S, flt: FeedFilter) -> _S:
    for clause in _clauses(flt):
        stmt = stmt.where(clause)
    return stmt


def _clauses(flt: FeedFilter) -> Iterable[Any]:
    if flt.since_epoch is not None:
        yield Alert.ts_epoch >= flt.since_epoch
    if flt.min_severity is not None:
        yield Alert.severity <= flt.min_severity
    if flt.sensor_id is not None:
        yield Alert.sensor_id == flt.sensor_id
    if flt.tenant is not None:
        yield Alert.tenant == flt.tenant
    if flt.signature_id is not None:
        yield Alert.signature_id == flt.signature_id
    if flt.after_id is not None:
        yield Alert.id > flt.after_id
    if flt.before_id is not None:
        yield Alert.id < flt.before_id
