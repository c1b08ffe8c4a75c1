"""The figures of a 100,000-alert month equal those computed independently from the rows.

`report_store` and `expected` come from conftest.py: the store is built once
per session; `expected` recomputes each figure from the inserted rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from collector.guidance import guidance_for
from collector.report.figures import MonthlyFigures, ReportSettings, monthly_figures
from collector.report.testing import (
    DISPATCH_OUTCOME,
    DISPATCH_TECHNICIAN,
    ESCALATED_OPEN,
    ESCALATED_RESOLVED,
    FLEET_HOST,
    MONTH,
    NEW_RULE_COUNT,
    NEW_RULES,
    OLD_RULES,
    OTHER_HOST,
    OTHER_SIGNATURE,
    PI001_GAP,
    TENANT,
    jst,
)
from yamori.errors import IngestError

SETTINGS = ReportSettings("Asia/Tokyo", 180.0)  # the default config: 60 s heartbeats x 3
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # the morning the October report is made


@pytest.fixture(scope="module")
def october(report_store: Any) -> MonthlyFigures:
    with report_store.database.session() as session:
        return monthly_figures(session, TENANT, MONTH, SETTINGS, NOW, "ja")


def test_alert_totals_by_severity(october: MonthlyFigures, expected: Any) -> None:
    by_level = expected.alerts_by_level(TENANT)
    # 100,000 inserted in the month; the ones a second outside and the fleet events are not.
    assert sum(by_level.values()) == 100_000
    assert october.alerts.total == 100_000
    assert {s.severity: s.count for s in october.alerts.by_severity} == by_level


def test_alerts_by_category_and_day(october: MonthlyFigures, expected: Any) -> None:
    categories: dict[str, int] = {}
    for row in expected.month_alerts(TENANT):
        categories[row["category"]] = categories.get(row["category"], 0) + 1
    assert {c.category: c.count for c in october.alerts.by_category} == categories
    assert october.alerts.other_categories == 0
    assert len(october.alerts.per_day) == 31
    assert ({d.day: list(d.by_severity) for d in october.alerts.per_day if d.total}
            == expected.alerts_per_day(TENANT))


def test_top_signatures_carry_their_guidance(october: MonthlyFigures, expected: Any) -> None:
    ranked = expected.top_signatures(TENANT)
    got = [((s.gid, s.sid), s.count) for s in october.alerts.top_signatures]
    assert len(got) == min(10, len(ranked)) and got == ranked[:len(got)]
    assert october.alerts.distinct_signatures == len(ranked)
    top = october.alerts.top_signatures[0]
    assert top.guidance == guidance_for(top.category, top.gid, top.sid, "ja")
    assert top.guidance.source == "signature"  # 1:1000001 has guidance of its own


def test_internal_hosts(october: MonthlyFigures, expected: Any) -> None:
    counts = expected.internal_hosts(TENANT)
    assert october.hosts.distinct == len(counts)
    ranked = sorted(counts.values(), reverse=True)
    assert [h.alerts for h in october.hosts.hosts] == ranked[:20]
    assert all(counts[h.address] == h.alerts for h in october.hosts.hosts)
    addresses = {h.address for h in october.hosts.hosts}
    # 172.32.0.1 passes the textual prefilter but is not private; the fleet
    # events' uplink address is no host of the alerts.
    assert "172.32.0.1" not in counts and FLEET_HOST not in addresses
    assert OTHER_HOST not in addresses


def test_incidents(october: MonthlyFigures, expected: Any) -> None:
    month = expected.month_incidents(TENANT)
    assert october.incidents.total == len(month)
    assert ({s.severity: s.count for s in october.incidents.by_severity}
            == expected.incidents_by_level(TENANT))
    serious = expected.serious_incidents(TENANT)
    assert october.incidents.serious_total == len(serious)
    assert october.incidents.serious_resolved == sum(
        1 for i in serious if i["state"] == "resolved_tp")
    newest = sorted(serious, key=lambda i: (-i["last_seen"], -i["id"]))[:10]
    assert [i.incident_id for i in october.incidents.serious] == [i["id"] for i in newest]
    states: dict[str, int] = {}
    for row in month:
        states[row["state"]] = states.get(row["state"], 0) + 1
    assert {s.state: s.count for s in october.incidents.by_state} == states


def test_escalations_and_dispatches(october: MonthlyFigures, expected: Any) -> None:
    escalated = expected.escalated_incidents(TENANT)
    assert set(escalated) == {ESCALATED_RESOLVED, ESCALATED_OPEN}
    assert october.response.escalated_incidents == len(escalated)
    assert {e.incident_id: (e.contacts, e.delivered)
            for e in october.response.escalations} == escalated
    [dispatch] = expected.month_dispatches(TENANT)
    [got] = october.response.dispatches
    assert (got.dispatch_id, got.outcome, got.technician) == (
        dispatch["id"], DISPATCH_OUTCOME, DISPATCH_TECHNICIAN)
    assert got.incident is not None and got.incident.incident_id == ESCALATED_RESOLVED


def test_coverage_per_sensor(october: MonthlyFigures, expected: Any) -> None:
    sensors = {s.sensor_id: s for s in october.coverage.sensors}
    assert set(sensors) == {"pi-001", "pi-002"}
    for sensor_id, got in sensors.items():
        monitored, period = expected.coverage(sensor_id)
        assert got.monitored_seconds == pytest.approx(monitored, abs=0.01)
        assert got.period_seconds == pytest.approx(period)
    # pi-001 was silent 5.5 h; a gap of exactly the threshold elsewhere is not an outage.
    assert sensors["pi-001"].offline_hours == pytest.approx(5.5, abs=1e-3)
    [outage] = sensors["pi-001"].outages
    assert (outage.start, outage.end) == PI001_GAP
    # pi-002 counts from its enrollment on the 15th, not from the 1st.
    assert sensors["pi-002"].period_start == jst(2026, 10, 15, 10, 0)
    totals = [expected.coverage(s) for s in sensors]
    assert october.coverage.uptime_percent == pytest.approx(
        100 * sum(m for m, _ in totals) / sum(p for _, p in totals), abs=1e-6)


def test_rule_updates(october: MonthlyFigures, expected: Any) -> None:
    changes = expected.rule_changes(["pi-001", "pi-002"])
    assert [(u.sensor_id, u.at, u.from_version, u.to_version)
            for u in october.rule_updates] == changes
    [update] = october.rule_updates
    assert (update.from_version, update.to_version) == (OLD_RULES, NEW_RULES)
    assert (update.channel, update.rule_count, update.rollback) == (
        "stable", NEW_RULE_COUNT, False)


def test_summary(october: MonthlyFigures, expected: Any) -> None:
    summary = october.summary
    assert not summary.calm
    assert summary.threats == len(expected.serious_incidents(TENANT))
    assert (summary.escalated, summary.dispatches, summary.alerts) == (2, 1, 100_000)


def test_no_other_tenant_leaks(october: MonthlyFigures) -> None:
    texts = {s.signature for s in october.alerts.top_signatures}
    texts |= {i.signature for i in october.incidents.serious}
    assert OTHER_SIGNATURE not in texts
    assert all(e.incident is not None and e.incident.internal_host != OTHER_HOST
               for e in october.response.escalations)
    assert {d.technician for d in october.response.dispatches} == {DISPATCH_TECHNICIAN}


def test_running_month_is_cut_at_now(report_store: Any, expected: Any) -> None:
    now = jst(2026, 10, 16, 0, 0)
    with report_store.database.session() as session:
        figures = monthly_figures(session, TENANT, MONTH, SETTINGS, now, "en")
    assert not figures.period.complete and figures.period.until == now
    assert figures.alerts.total == len(expected.month_alerts(TENANT, until=now))
    pi002 = next(s for s in figures.coverage.sensors if s.sensor_id == "pi-002")
    monitored, period = expected.coverage("pi-002", until=now)
    assert pi002.period_seconds == pytest.approx(period)
    assert pi002.monitored_seconds == pytest.approx(monitored, abs=0.01)
    assert figures.rule_updates == ()  # the update came on the 20th


@pytest.mark.parametrize(("tenant", "month", "status"), [
    ("no-such-tenant", MONTH, 404),
    (TENANT, "2026-13", 422),
    (TENANT, "october", 422),
    (TENANT, "2026-12", 422),  # has not begun at NOW
])
def test_refused(report_store: Any, tenant: str, month: str, status: int) -> None:
    with report_store.database.session() as session, pytest.raises(IngestError) as caught:
        monthly_figures(session, tenant, month, SETTINGS, NOW, "ja")
    assert caught.value.status == status


def test_unknown_language_is_refused(report_store: Any) -> None:
    with report_store.database.session() as session, pytest.raises(IngestError) as caught:
        monthly_figures(session, TENANT, MONTH, SETTINGS, NOW, "fr")
    assert caught.value.status == 422

