"""Pruned heartbeat history: the days it took are not reported as offline.

A small store of its own (this test prunes it, with the collector's own
prune_history), kept 30 days as the default config does, reported on the
morning of 1 November: the first day or so of October is gone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.db import open_database
from collector.repo.heartbeats import prune_history
from collector.report.figures import ReportSettings, monthly_figures
from collector.report.render import render_html
from collector.report.testing import MONTH, TENANT, Plan, build_store

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
KEPT_DAYS = 30
EVERY = 600.0


def test_pruned_days_are_not_offline(tmp_path: Path, expect_from: Any) -> None:
    cutoff = NOW - timedelta(days=KEPT_DAYS)
    database = open_database(f"sqlite:///{tmp_path / 'collector.sqlite'}")
    try:
        with database.session() as session:
            store = build_store(session, Plan(alerts=500, other_alerts=50, incidents=5,
                                              heartbeat_seconds=EVERY))
            assert prune_history(session, cutoff) > 0
        settings = ReportSettings("Asia/Tokyo", EVERY * 3, history_days=KEPT_DAYS)
        with database.session() as session:
            figures = monthly_figures(session, TENANT, MONTH, settings, NOW, "ja")
    finally:
        database.dispose()
    kept = replace(store, heartbeats=[b for b in store.heartbeats if b["received_at"] >= cutoff])
    expected = expect_from(kept, EVERY * 3)
    assert figures.coverage.history_from == cutoff
    pi001 = next(s for s in figures.coverage.sensors if s.sensor_id == "pi-001")
    assert pi001.period_start == cutoff
    monitored, _ = expected.coverage("pi-001")
    assert pi001.monitored_seconds == pytest.approx(monitored, abs=0.01)
    # Offline: the 5.5 h outage and the few minutes before the first heartbeat kept.
    assert 5.5 <= pi001.offline_hours < 5.5 + EVERY / 3600
    assert "より前のものが残っていません" in render_html(figures)


def test_history_kept_long_enough_changes_nothing(report_store: Any) -> None:
    settings = ReportSettings("Asia/Tokyo", 180.0, history_days=KEPT_DAYS)
    with report_store.database.session() as session:  # nothing was pruned in this store
        figures = monthly_figures(session, TENANT, MONTH, settings, NOW, "ja")
    assert figures.coverage.history_from is None
    assert {s.sensor_id: s.offline_hours for s in figures.coverage.sensors}["pi-001"] == (
        pytest.approx(5.5, abs=1e-3))
