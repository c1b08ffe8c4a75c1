"""The report's SQL on PostgreSQL: the same figures as computed from the rows (skips if absent).

A smaller store than SQLite's (5,000 alerts, heartbeats every 10 minutes) keeps
it quick; every section's query runs, window functions and JSON included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from collector.db import open_database
from collector.report.figures import ReportSettings, monthly_figures
from collector.report.render import render_html
from collector.report.testing import MONTH, OTHER_SIGNATURE, TENANT, Plan, build_store

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
EVERY = 600.0
OFFLINE_AFTER = EVERY * 3


def test_figures_on_postgresql(pg_url: str, expect_from: Callable[..., Any]) -> None:
    database = open_database(pg_url)
    try:
        with database.session() as session:
            store = build_store(session, Plan(alerts=5_000, other_alerts=500, incidents=20,
                                              heartbeat_seconds=EVERY))
        expected = expect_from(store, OFFLINE_AFTER)
        with database.session() as session:
            figures = monthly_figures(session, TENANT, MONTH,
                                      ReportSettings("Asia/Tokyo", OFFLINE_AFTER), NOW, "ja")
    finally:
        database.dispose()
    assert {s.severity: s.count for s in figures.alerts.by_severity} == (
        expected.alerts_by_level(TENANT))
    assert ({d.day: list(d.by_severity) for d in figures.alerts.per_day if d.total}
            == expected.alerts_per_day(TENANT))
    ranked = expected.top_signatures(TENANT)
    assert [((s.gid, s.sid), s.count) for s in figures.alerts.top_signatures] == ranked[:10]
    hosts = expected.internal_hosts(TENANT)
    assert figures.hosts.distinct == len(hosts)
    assert all(hosts[h.address] == h.alerts for h in figures.hosts.hosts)
    assert ({s.severity: s.count for s in figures.incidents.by_severity}
            == expected.incidents_by_level(TENANT))
    assert figures.incidents.serious_total == len(expected.serious_incidents(TENANT))
    assert ({e.incident_id: (e.contacts, e.delivered) for e in figures.response.escalations}
            == expected.escalated_incidents(TENANT))
    for sensor in figures.coverage.sensors:
        monitored, period = expected.coverage(sensor.sensor_id)
        assert sensor.monitored_seconds == pytest.approx(monitored, abs=0.01)
        assert sensor.period_seconds == pytest.approx(period)
    assert [(u.sensor_id, u.at, u.from_version, u.to_version) for u in figures.rule_updates] == (
        expected.rule_changes(["pi-001", "pi-002"]))
    assert OTHER_SIGNATURE not in render_html(figures)
