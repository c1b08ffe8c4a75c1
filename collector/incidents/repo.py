"""Queries on incidents: the filtered list, one incident with its alerts, sensors and notes.

Owns: `IncidentFilter`, the list (newest last_seen first, cursor "<last_seen>:<id>"
so a page boundary is exact even when many incidents share a last_seen),
finding one incident within the user's tenant scope (absent and
out-of-scope look the same: None), an incident's alerts (newest first, by
id cursor), sensors and notes. Every query takes the tenant scope. An
incident's last_seen moves when alerts join it, so a live list may show it
again on a later page; the cursor never repeats or skips within a quiet
list. Does not own: HTTP (routes.py) or changing incidents (triage.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collector.incidents.models import Incident, IncidentNote, IncidentSensor
from collector.incidents.signatures import matching_signatures
from collector.models import Alert
from collector.repo.alerts import address_forms
from yamori.errors import IngestError


@dataclass(slots=True, frozen=True)
class IncidentFilter:
    """What the incident list selects; None means "any". `scope_tenant` is always applied."""

    scope_tenant: str | None = None
    tenant: str | None = None
    sensor_id: str | None = None
    min_severity: int | None = None
    category: str | None = None
    signature_id: int | None = None
    signature_text: str | None = None
    src_ip: str | None = None
    dest_ip: str | None = None
    since_epoch: float | None = None
    until_epoch: float | None = None
    state: str | None = None
    assignee: str | None = None
    before: tuple[float, int] | None = None


@dataclass(slots=True)
class IncidentPage:
    incidents: list[Incident]
    sensors: dict[int, list[str]]
    next_before: str | None


def parse_cursor(text: str | None) -> tuple[float, int] | None:
    """`before` as (last_seen, id); 422 when it is not what a page answered."""
    if text is None or not text.strip():
        return None
    seen, sep, ident = text.strip().partition(":")
    try:
        if not sep:
            raise ValueError(text)
        return float(seen), int(ident)
    except ValueError as exc:
        raise IngestError(f"before: not a cursor from next_before: {text!r}", 422) from exc


def cursor_of(row: Incident) -> str:
    return f"{row.last_seen!r}:{row.id}"


def incident_page(session: Session, flt: IncidentFilter, limit: int) -> IncidentPage:
    """One page of incidents, newest last_seen first."""
    clauses = _clauses(session, flt)
    if clauses is None:
        return IncidentPage([], {}, None)
    stmt = (select(Incident).where(*clauses)
            .order_by(Incident.last_seen.desc(), Incident.id.desc()).limit(limit))
    rows = list(session.scalars(stmt))
    next_before = cursor_of(rows[-1]) if len(rows) == limit else None
    return IncidentPage(rows, sensors_of(session, [r.id for r in rows]), next_before)


def visible_incident(session: Session, incident_id: int, scope_tenant: str | None) -> Incident:
    """The incident if it exists within the scope; 404 otherwise (whichever it was)."""
    row = session.get(Incident, incident_id) if 0 < incident_id < 2**63 else None
    if row is None or (scope_tenant is not None and row.tenant != scope_tenant):
        raise IngestError(f"incident {incident_id} not found", 404)
    return row


def incident_alerts(session: Session, incident_id: int, limit: int,
                    before_id: int | None = None) -> list[Alert]:
    """The incident's alerts, newest first, older than `before_id` when given."""
    stmt = select(Alert).where(Alert.incident_id == incident_id)
    if before_id is not None:
        stmt = stmt.where(Alert.id < before_id)
    return list(session.scalars(stmt.order_by(Alert.id.desc()).limit(limit)))


def sensors_of(session: Session, incident_ids: list[int]) -> dict[int, list[str]]:
    """{incident id: its sensor ids, sorted}."""
    found: dict[int, list[str]] = {ident: [] for ident in incident_ids}
    if incident_ids:
        stmt = (select(IncidentSensor.incident_id, IncidentSensor.sensor_id)
                .where(IncidentSensor.incident_id.in_(incident_ids))
                .order_by(IncidentSensor.incident_id, IncidentSensor.sensor_id))
        for ident, sensor in session.execute(stmt):
            found[ident].append(sensor)
    return found


def notes_of(session: Session, incident_id: int) -> list[IncidentNote]:
    """The incident's notes, oldest first."""
    stmt = (select(IncidentNote).where(IncidentNote.incident_id == incident_id)
            .order_by(IncidentNote.id))
    return list(session.scalars(stmt))


def _clauses(session: Session, flt: IncidentFilter) -> list[Any] | None:
    clauses = list(_simple_clauses(flt))
    if flt.sensor_id is not None:
        clauses.append(Incident.id.in_(select(IncidentSensor.incident_id)
                                       .where(IncidentSensor.sensor_id == flt.sensor_id)))
    if flt.signature_text:
        found = matching_signatures(session, flt.signature_text)
        if not found:
            return None
        clauses.append(or_(*(and_(Incident.gid == gid, Incident.signature_id.in_(sids))
                             for gid, sids in found.items())))
    if flt.before is not None:
        seen, ident = flt.before
        clauses.append(or_(Incident.last_seen < seen,
                           and_(Incident.last_seen == seen, Incident.id < ident)))
    return clauses


def _simple_clauses(flt: IncidentFilter) -> Iterable[Any]:
    equal: list[tuple[Any, Any]] = [
        (Incident.tenant, flt.scope_tenant), (Incident.tenant, flt.tenant),
        (Incident.category, flt.category), (Incident.signature_id, flt.signature_id),
        (Incident.state, flt.state), (Incident.assignee, flt.assignee),
    ]
    for column, value in equal:
        if value is not None:
            yield column == value
    for column, text in ((Incident.src_ip, flt.src_ip), (Incident.dest_ip, flt.dest_ip)):
        if text is not None:
            yield column.in_(address_forms(text))
    if flt.min_severity is not None:
        yield Incident.severity <= flt.min_severity
    # An incident matches a time range it overlaps.
    if flt.since_epoch is not None:
        yield Incident.last_seen >= flt.since_epoch
    if flt.until_epoch is not None:
        yield Incident.first_seen < flt.until_epoch
