"""The tenant's incidents of the month: counted, and the serious ones listed.

Owns: which incidents a report counts (the tenant's whose activity overlaps
the period: first seen before it ended, last seen after it began; an incident
that ran over a month's end is in both months' reports), their totals by
severity level, category and triage state, and the serious ones (Suricata
severity 1 and not judged a false positive) with what each means for the
customer. Does not own: the incidents (collector/incidents) or their notices
(response.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from collector.fleet.events import FLEET_GID
from collector.guidance import Guidance, guidance_for
from collector.incidents.models import Incident
from collector.notify.render import internal_host
from collector.report.alerts import LEVELS, CategoryCount, SeverityCount, severity_level
from collector.report.period import ReportPeriod

FALSE_POSITIVE = "resolved_fp"
TRUE_POSITIVE = "resolved_tp"
SERIOUS_LISTED = 10


@dataclass(slots=True, frozen=True)
class StateCount:
    state: str
    count: int


@dataclass(slots=True, frozen=True)
class IncidentLine:
    """One incident as the report lists it."""

    incident_id: int
    signature: str
    category: str
    severity: int
    internal_host: str
    peer: str
    count: int
    first_seen: datetime  # UTC
    last_seen: datetime  # UTC
    state: str
    guidance: Guidance


@dataclass(slots=True, frozen=True)
class IncidentFigures:
    total: int
    by_severity: tuple[SeverityCount, ...]  # every level, zeros included
    by_category: tuple[CategoryCount, ...]  # most first
    by_state: tuple[StateCount, ...]  # most first
    serious_total: int
    serious_resolved: int  # of those, resolved as a real threat dealt with
    serious: tuple[IncidentLine, ...]  # the SERIOUS_LISTED most recent

    def count_of(self, severity: int) -> int:
        return next((s.count for s in self.by_severity if s.severity == severity), 0)


def month_incidents(tenant: str, period: ReportPeriod) -> tuple[ColumnElement[bool], ...]:
    """The WHERE conditions of the incidents a report of `tenant` over `period` counts."""
    return (Incident.tenant == tenant, Incident.first_seen < period.until.timestamp(),
            Incident.last_seen >= period.start.timestamp(), Incident.gid != FLEET_GID)


def incident_figures(session: Session, tenant: str, period: ReportPeriod,
                     lang: str) -> IncidentFigures:
    """The incident figures of `tenant` over `period`, guidance in `lang`."""
    where = month_incidents(tenant, period)
    level = severity_level(Incident.severity).label("level")
    levels = dict(session.execute(select(level, func.count()).where(*where)
                                  .group_by(level)).all())
    serious = (*where, Incident.severity <= 1, Incident.state != FALSE_POSITIVE)
    return IncidentFigures(
        total=sum(int(n) for n in levels.values()),
        by_severity=tuple(SeverityCount(s, int(levels.get(s, 0))) for s in LEVELS),
        by_category=tuple(CategoryCount(c or "-", n)
                          for c, n in _grouped(session, Incident.category, where)),
        by_state=tuple(StateCount(s, n) for s, n in _grouped(session, Incident.state, where)),
        serious_total=_count(session, serious),
        serious_resolved=_count(session, (*serious, Incident.state == TRUE_POSITIVE)),
        serious=_serious(session, serious, lang))


def _count(session: Session, where: tuple[ColumnElement[bool], ...]) -> int:
    return int(session.scalar(select(func.count()).select_from(Incident).where(*where)) or 0)


def _grouped(session: Session, column: Any,
             where: tuple[ColumnElement[bool], ...]) -> list[tuple[str, int]]:
    count = func.count().label("n")
    query = (select(column, count).select_from(Incident).where(*where).group_by(column)
             .order_by(count.desc(), column))
    return [(value, int(n)) for value, n in session.execute(query)]


def _serious(session: Session, where: tuple[ColumnElement[bool], ...],
             lang: str) -> tuple[IncidentLine, ...]:
    query = (select(Incident).where(*where)
             .order_by(Incident.last_seen.desc(), Incident.id.desc()).limit(SERIOUS_LISTED))
    return tuple(incident_line(row, lang) for row in session.scalars(query))


def incident_line(row: Incident, lang: str) -> IncidentLine:
    """`row` as the report lists it, with its guidance in `lang`."""
    host = internal_host(row.src_ip, row.dest_ip)
    return IncidentLine(
        incident_id=row.id, signature=row.signature, category=row.category,
        severity=row.severity, internal_host=host,
        peer=row.dest_ip if host == row.src_ip else row.src_ip, count=row.count,
        first_seen=datetime.fromtimestamp(row.first_seen, UTC),
        last_seen=datetime.fromtimestamp(row.last_seen, UTC), state=row.state,
        guidance=guidance_for(row.category, row.gid, row.signature_id, lang))
