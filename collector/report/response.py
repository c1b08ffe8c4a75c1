"""What was done about the month's incidents: escalations to the customer and dispatches.

Owns: the month's escalations (notices of kind "escalated" to the tenant's
contacts, queued in the period: one line per incident with when it was first
escalated, how many contacts it went to and how many were delivered) and the
month's dispatches (駆け付け: who went, when, and the outcome), each with the
incident it was about. Dispatches are selected by dispatch time in the same
month as `GET /api/v1/dispatches?month=` selects them. Does not own: the
notices or dispatch records (collector/notify).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.incidents.models import Incident
from collector.notify.dispatches import list_dispatches
from collector.notify.models import ESCALATED, SENT, Notice
from collector.report.incidents import IncidentLine, incident_line
from collector.report.period import ReportPeriod

ESCALATIONS_LISTED = 50


@dataclass(slots=True, frozen=True)
class Escalation:
    """An incident the customer's contacts were told of this month."""

    incident_id: int
    first_escalated_at: datetime  # UTC
    contacts: int
    delivered: int
    incident: IncidentLine | None  # None if the incident row is gone


@dataclass(slots=True, frozen=True)
class DispatchLine:
    """One on-site visit and how it ended."""

    dispatch_id: int
    incident_id: int
    technician: str
    reason: str
    dispatched_at: datetime  # UTC
    arrived_at: datetime | None
    closed_at: datetime | None
    outcome: str | None  # None: still open
    incident: IncidentLine | None


@dataclass(slots=True, frozen=True)
class ResponseFigures:
    escalated_incidents: int
    escalations: tuple[Escalation, ...]  # oldest first, at most ESCALATIONS_LISTED
    dispatches: tuple[DispatchLine, ...]  # oldest first


def response_figures(session: Session, tenant: str, period: ReportPeriod,
                     lang: str) -> ResponseFigures:
    """Escalations and dispatches of `tenant` over `period`."""
    where = (Notice.tenant == tenant, Notice.kind == ESCALATED, Notice.incident_id.is_not(None),
             Notice.created_at >= period.start, Notice.created_at < period.until)
    first = func.min(Notice.created_at).label("first")
    query = (select(Notice.incident_id, first, func.count(distinct(Notice.contact_id)),
                    func.sum(case((Notice.state == SENT, 1), else_=0)))
             .where(*where).group_by(Notice.incident_id).order_by(first, Notice.incident_id))
    rows = session.execute(query).all()
    dispatches = [d for d in list_dispatches(session, tenant=tenant, month=period.month,
                                             tz=period.tz)
                  if as_utc(d.dispatched_at) < period.until]
    incidents = _incidents(session, tenant, [r[0] for r in rows[:ESCALATIONS_LISTED]]
                           + [d.incident_id for d in dispatches], lang)
    return ResponseFigures(
        escalated_incidents=len(rows),
        escalations=tuple(Escalation(int(i), as_utc(at), int(c), int(s or 0), incidents.get(i))
                          for i, at, c, s in rows[:ESCALATIONS_LISTED]),
        dispatches=tuple(DispatchLine(
            dispatch_id=d.id, incident_id=d.incident_id, technician=d.technician,
            reason=d.reason, dispatched_at=as_utc(d.dispatched_at),
            arrived_at=_utc(d.arrived_at), closed_at=_utc(d.closed_at), outcome=d.outcome,
            incident=incidents.get(d.incident_id)) for d in dispatches))


def _incidents(session: Session, tenant: str, ids: Iterable[int],
               lang: str) -> dict[int, IncidentLine]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    # The tenant condition keeps a mistyped incident id on a record from showing
    # another customer's incident.
    query = select(Incident).where(Incident.id.in_(wanted), Incident.tenant == tenant)
    return {row.id: incident_line(row, lang) for row in session.scalars(query)}


def _utc(when: datetime | None) -> datetime | None:
    return None if when is None else as_utc(when)
