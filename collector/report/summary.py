"""The few facts the report's opening lines are made of.

Owns: deciding whether the month was calm — no serious incident (Suricata
severity 1, not judged a false positive) and nothing escalated to the
customer — and gathering the numbers the summary sentences need (threats
found, told, resolved, technicians sent, coverage). Does not own: the words
(templates and messages/) or the figures themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.report.alerts import AlertFigures
from collector.report.coverage import Coverage
from collector.report.incidents import IncidentFigures
from collector.report.response import ResponseFigures


@dataclass(slots=True, frozen=True)
class Summary:
    calm: bool  # no serious threat and nothing escalated: "nothing serious detected"
    threats: int  # serious incidents
    escalated: int  # incidents the customer's contacts were told of
    resolved: int  # serious incidents resolved (a real threat, dealt with)
    dispatches: int
    alerts: int
    incidents: int
    sensors: int
    uptime_percent: float | None
    offline_hours: float


def summarize(alerts: AlertFigures, incidents: IncidentFigures, response: ResponseFigures,
              coverage: Coverage) -> Summary:
    """The summary of one month's figures."""
    return Summary(
        calm=incidents.serious_total == 0 and response.escalated_incidents == 0,
        threats=incidents.serious_total, escalated=response.escalated_incidents,
        resolved=incidents.serious_resolved,
        dispatches=len(response.dispatches), alerts=alerts.total, incidents=incidents.total,
        sensors=len(coverage.sensors), uptime_percent=coverage.uptime_percent,
        offline_hours=coverage.offline_hours)
