"""Everything a monthly report shows, computed from the store: one dataclass tree.

Owns: `monthly_figures(session, tenant, month, settings, now, lang)` — the
tenant check (a tenant no sensor was ever enrolled for is refused, so a
mistyped name cannot yield a calm "nothing detected" report), the period, and
the composition of the sections: coverage, alerts, internal hosts,
incidents, escalations and dispatches, rule updates and the summary — and
`ReportSettings`, the part of the collector config the report reads.
Does not own: any section's queries (their modules) or presentation (render.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.models import Sensor
from collector.report.alerts import AlertFigures, alert_figures
from collector.report.coverage import Coverage, tenant_coverage
from collector.report.hosts import HostFigures, internal_hosts
from collector.report.incidents import IncidentFigures, incident_figures
from collector.report.period import ReportPeriod, report_period
from collector.report.response import ResponseFigures, response_figures
from collector.report.ruleupdates import RuleUpdate, rule_updates
from collector.report.summary import Summary, summarize
from yamori.errors import IngestError

LANGUAGES = ("ja", "en")


@dataclass(slots=True, frozen=True)
class ReportSettings:
    """What the report takes from the collector's config."""

    timezone: str  # months and times are this zone's (the notifier's, Asia/Tokyo)
    offline_after_seconds: float  # the sensor board's offline threshold
    history_days: float | None = None  # heartbeats are kept this long; None: for ever

    @classmethod
    def from_config(cls, config: CollectorConfig) -> ReportSettings:
        return cls(config.notify_timezone,
                   config.heartbeat_interval_seconds * config.heartbeat_offline_factor,
                   config.heartbeat_history_days)

    def retention_cutoff(self, now: datetime) -> datetime | None:
        """Heartbeats received before this may have been pruned by `now` (None: none are)."""
        return None if self.history_days is None else now - timedelta(days=self.history_days)


@dataclass(slots=True, frozen=True)
class MonthlyFigures:
    """One tenant's month, every section of the report."""

    tenant: str
    lang: str
    period: ReportPeriod
    generated_at: datetime  # UTC
    summary: Summary
    coverage: Coverage
    alerts: AlertFigures
    hosts: HostFigures
    incidents: IncidentFigures
    response: ResponseFigures
    rule_updates: tuple[RuleUpdate, ...]


def monthly_figures(session: Session, tenant: str, month: str, settings: ReportSettings,
                    now: datetime, lang: str = "ja") -> MonthlyFigures:
    """The figures of `tenant`'s `month` ("YYYY-MM" in settings.timezone) as of `now` (UTC).

    404 for a tenant no sensor was ever enrolled for; 422 for a malformed
    month, one not begun, or an unsupported language.
    """
    if lang not in LANGUAGES:
        raise IngestError(f"lang: must be one of {', '.join(LANGUAGES)}; got {lang!r}", 422)
    check_tenant(session, tenant)
    period = report_period(month, settings.timezone, now)
    coverage = tenant_coverage(session, tenant, period, settings.offline_after_seconds,
                               settings.retention_cutoff(now))
    alerts = alert_figures(session, tenant, period, lang)
    incidents = incident_figures(session, tenant, period, lang)
    response = response_figures(session, tenant, period, lang)
    return MonthlyFigures(
        tenant=tenant, lang=lang, period=period, generated_at=now,
        summary=summarize(alerts, incidents, response, coverage), coverage=coverage,
        alerts=alerts, hosts=internal_hosts(session, tenant, period), incidents=incidents,
        response=response, rule_updates=rule_updates(session, tenant, period))


def check_tenant(session: Session, tenant: str) -> None:
    """404 unless some sensor was ever enrolled for `tenant`."""
    if not session.scalar(select(exists().where(Sensor.tenant == tenant))):
        raise no_report(tenant)


def no_report(tenant: str) -> IngestError:
    """The one answer for a tenant without a report, or one the asker may not see."""
    return IngestError(f"no report for tenant {tenant!r}: no sensor was ever enrolled for it",
                       404)
