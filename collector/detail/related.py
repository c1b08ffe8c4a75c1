"""Queries for the alert detail: one alert by id, and the alerts related to it.

Owns: "the other alerts of the same flow" (same sensor and flow_id) and "of the
same host" (same tenant, the host's address as source or destination), newest
first and limited. The host query runs once per direction and merges, so each
half can use an index leading with (tenant, address, id). Does not own: who
may see them (routes.py checks the tenant) or how they are shown.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Alert

# The feed cursor is a BIGINT (SQLite INTEGER): larger ids cannot exist, and
# the drivers refuse to bind them.
MAX_ID = 2**63 - 1


def alert_by_id(session: Session, alert_id: int) -> Alert | None:
    """The stored alert with this feed id, or None."""
    if not 1 <= alert_id <= MAX_ID:
        return None
    return session.get(Alert, alert_id)


def same_flow(session: Session, alert: Alert, limit: int) -> list[Alert]:
    """Other alerts of the alert's flow on the same sensor, newest first."""
    if alert.flow_id is None:
        return []
    stmt = (select(Alert)
            .where(Alert.sensor_id == alert.sensor_id, Alert.flow_id == alert.flow_id,
                   Alert.id != alert.id)
            .order_by(Alert.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def same_host(session: Session, alert: Alert, ip: str, limit: int) -> list[Alert]:
    """Other alerts of the alert's tenant with `ip` as source or destination, newest first."""
    found: dict[int, Alert] = {}
    for column in (Alert.src_ip, Alert.dest_ip):
        stmt = (select(Alert)
                .where(Alert.tenant == alert.tenant, column == ip, Alert.id != alert.id)
                .order_by(Alert.id.desc()).limit(limit))
        found.update((row.id, row) for row in session.scalars(stmt))
    return [found[i] for i in sorted(found, reverse=True)[:limit]]
