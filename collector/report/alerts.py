"""The tenant's alerts of the month, counted in the database.

Owns: which alerts a report counts (the tenant's, by the time they happened,
`ts_epoch`, inside the period; the collector's own sensor events, gid 9000,
are left out: the coverage section tells that story) and their totals by
severity, by category, per local day and severity, and the top signatures
with their guidance in the report's language. Every figure is one GROUP BY
query. Severity is Suricata's, folded to four levels (1 high … 4 info).
Does not own: internal hosts (hosts.py) or incidents (incidents.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from collector.fleet.events import FLEET_GID
from collector.guidance import Guidance, guidance_for
from collector.models import Alert
from collector.report.period import ReportPeriod

LEVELS = (1, 2, 3, 4)  # Suricata severity: 1 high, 2 medium, 3 low, 4 (and above) info
TOP_SIGNATURES = 10
TOP_CATEGORIES = 15


@dataclass(slots=True, frozen=True)
class SeverityCount:
    severity: int
    count: int


@dataclass(slots=True, frozen=True)
class CategoryCount:
    category: str
    count: int


@dataclass(slots=True, frozen=True)
class DayCounts:
    """Alerts of one local day, per severity level (LEVELS order)."""

    day: date
    by_severity: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.by_severity)


@dataclass(slots=True, frozen=True)
class TopSignature:
    """A rule that fired often, with what it means for the customer."""

    gid: int
    sid: int
    signature: str
    category: str
    severity: int
    count: int
    guidance: Guidance


@dataclass(slots=True, frozen=True)
class AlertFigures:
    total: int
    by_severity: tuple[SeverityCount, ...]  # every level, zeros included
    by_category: tuple[CategoryCount, ...]  # the TOP_CATEGORIES largest, most first
    other_categories: int  # alerts in the categories not listed
    per_day: tuple[DayCounts, ...]  # every day of the month
    top_signatures: tuple[TopSignature, ...]
    distinct_signatures: int

    def count_of(self, severity: int) -> int:
        return next((s.count for s in self.by_severity if s.severity == severity), 0)


def month_alerts(tenant: str, period: ReportPeriod) -> tuple[ColumnElement[bool], ...]:
    """The WHERE conditions of the alerts a report of `tenant` over `period` counts."""
    return (Alert.tenant == tenant, Alert.ts_epoch >= period.start.timestamp(),
            Alert.ts_epoch < period.until.timestamp(), Alert.gid != FLEET_GID)


def severity_level(column: Any) -> ColumnElement[int]:
    """A severity column folded to LEVELS."""
    return case((column <= 1, 1), (column >= 4, 4), else_=column)


def alert_figures(session: Session, tenant: str, period: ReportPeriod,
                  lang: str) -> AlertFigures:
    """The alert figures of `tenant` over `period`, guidance in `lang`."""
    where = month_alerts(tenant, period)
    by_severity = _by_severity(session, where)
    categories = _by_category(session, where)
    total = sum(s.count for s in by_severity)
    listed = categories[:TOP_CATEGORIES]
    return AlertFigures(
        total=total, by_severity=by_severity, by_category=tuple(listed),
        other_categories=total - sum(c.count for c in listed),
        per_day=_per_day(session, where, period),
        top_signatures=_top_signatures(session, where, lang),
        distinct_signatures=_distinct_signatures(session, where))


def _by_severity(session: Session, where: tuple[ColumnElement[bool], ...]
                 ) -> tuple[SeverityCount, ...]:
    level = severity_level(Alert.severity).label("level")
    rows = dict(session.execute(select(level, func.count()).where(*where).group_by(level)).all())
    return tuple(SeverityCount(s, int(rows.get(s, 0))) for s in LEVELS)


def _by_category(session: Session, where: tuple[ColumnElement[bool], ...]
                 ) -> list[CategoryCount]:
    count = func.count().label("n")
    query = (select(Alert.category, count).where(*where).group_by(Alert.category)
             .order_by(count.desc(), Alert.category))
    return [CategoryCount(c or "-", int(n)) for c, n in session.execute(query)]


def _per_day(session: Session, where: tuple[ColumnElement[bool], ...],
             period: ReportPeriod) -> tuple[DayCounts, ...]:
    # The day as the index of the last local midnight before the alert: a CASE
    # over the month's day starts is portable and right on DST days too.
    starts = [d.timestamp() for d in period.day_starts]
    whens = [(Alert.ts_epoch < starts[i + 1], i) for i in range(len(starts) - 1)]
    day = case(*whens, else_=len(starts) - 1).label("day")
    level = severity_level(Alert.severity).label("level")
    counts: dict[tuple[int, int], int] = {
        (int(d), int(lv)): int(n) for d, lv, n in session.execute(
            select(day, level, func.count()).where(*where).group_by(day, level))}
    return tuple(DayCounts(local, tuple(counts.get((i, lv), 0) for lv in LEVELS))
                 for i, local in enumerate(period.days))


def _top_signatures(session: Session, where: tuple[ColumnElement[bool], ...],
                    lang: str) -> tuple[TopSignature, ...]:
    count = func.count().label("n")
    query = (select(Alert.gid, Alert.signature_id, func.max(Alert.signature),
                    func.max(Alert.category), func.min(Alert.severity), count)
             .where(*where).group_by(Alert.gid, Alert.signature_id)
             .order_by(count.desc(), Alert.gid, Alert.signature_id).limit(TOP_SIGNATURES))
    return tuple(
        TopSignature(gid=int(gid), sid=int(sid), signature=text, category=category,
                     severity=int(severity), count=int(n),
                     guidance=guidance_for(category, int(gid), int(sid), lang))
        for gid, sid, text, category, severity, n in session.execute(query))


def _distinct_signatures(session: Session, where: tuple[ColumnElement[bool], ...]) -> int:
    pairs = select(Alert.gid, Alert.signature_id).where(*where).distinct().subquery()
    return int(session.scalar(select(func.count()).select_from(pairs)) or 0)
