"""Fixtures for the report's tests: the 100,000-alert store, and what its report must say.

`report_store` builds collector/report/testing.py's store once per test
session on a temporary SQLite file. The `expected_*` helpers compute every
figure again from the rows that were inserted, in plain Python, without
collector/report — so a test compares two independent computations.
`pdf_text` turns a PDF into text with poppler's pdftotext (the test skips,
saying why, when it is absent).
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.db import Database, open_database
from collector.report.testing import JST, MONTH_END, MONTH_START, Plan, Store, build_store

OFFLINE_AFTER = 180.0  # the default config: 60 s heartbeats x offline factor 3
PRIVATE = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7", "fe80::/10")]
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # the morning the October report is made


@dataclass(slots=True)
class ReportStore:
    url: str
    database: Database
    store: Store


@pytest.fixture(scope="session")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportStore]:
    path = tmp_path_factory.mktemp("report") / "collector.sqlite"
    url = f"sqlite:///{path}"
    database = open_database(url)
    with database.session() as session:
        store = build_store(session, Plan())
    yield ReportStore(url, database, store)
    database.dispose()


@pytest.fixture
def expected(report_store: ReportStore) -> Expected:
    return Expected(report_store.store)


@pytest.fixture
def expect_from() -> Callable[[Store, float], Expected]:
    """Expected figures for another store (and offline threshold) than the session's."""
    return lambda store, offline_after: Expected(store, offline_after=offline_after)


@pytest.fixture
def pdf_text(tmp_path: Path) -> Callable[[bytes], str]:
    """A function from a PDF to its text as pdftotext -layout reads it."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils): "
                    "cannot read the PDF's text back")

    def read(pdf: bytes) -> str:
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                              check=True, capture_output=True, text=True).stdout

    return read


# -- the figures, computed again from the inserted rows -----------------------------------

def epoch_bounds(until: datetime | None = None) -> tuple[float, float]:
    end = MONTH_END if until is None else min(MONTH_END, until)
    return MONTH_START.timestamp(), end.timestamp()


def level(severity: int) -> int:
    return min(max(severity, 1), 4)


@dataclass(slots=True)
class Expected:
    """Every figure of the report, computed again from the rows the store holds."""

    store: Store
    now: datetime = NOW
    offline_after: float = OFFLINE_AFTER

    def month_alerts(self, tenant: str, until: datetime | None = None
                     ) -> list[dict[str, Any]]:
        start, end = epoch_bounds(until)
        return [a for a in self.store.alerts
                if a["tenant"] == tenant and start <= a["ts_epoch"] < end and a["gid"] != 9000]

    def alerts_by_level(self, tenant: str) -> dict[int, int]:
        counts = Counter(level(a["severity"]) for a in self.month_alerts(tenant))
        return {lv: counts.get(lv, 0) for lv in (1, 2, 3, 4)}

    def alerts_per_day(self, tenant: str) -> dict[date, list[int]]:
        days: dict[date, list[int]] = {}
        for a in self.month_alerts(tenant):
            day = datetime.fromtimestamp(a["ts_epoch"], UTC).astimezone(JST).date()
            days.setdefault(day, [0, 0, 0, 0])[level(a["severity"]) - 1] += 1
        return days

    def top_signatures(self, tenant: str) -> list[tuple[tuple[int, int], int]]:
        counts = Counter((a["gid"], a["signature_id"]) for a in self.month_alerts(tenant))
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def internal_hosts(self, tenant: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        for a in self.month_alerts(tenant):
            for address in {a["src_ip"], a["dest_ip"]}:
                parsed = ipaddress.ip_address(address)
                if any(parsed in net for net in PRIVATE if net.version == parsed.version):
                    counts[address] += 1
        return counts

    def month_incidents(self, tenant: str) -> list[dict[str, Any]]:
        start, end = epoch_bounds()
        return [i for i in self.store.incidents
                if i["tenant"] == tenant and i["first_seen"] < end and i["last_seen"] >= start]

    def incidents_by_level(self, tenant: str) -> dict[int, int]:
        counts = Counter(level(i["severity"]) for i in self.month_incidents(tenant))
        return {lv: counts.get(lv, 0) for lv in (1, 2, 3, 4)}

    def serious_incidents(self, tenant: str) -> list[dict[str, Any]]:
        return [i for i in self.month_incidents(tenant)
                if i["severity"] <= 1 and i["state"] != "resolved_fp"]

    def escalated_incidents(self, tenant: str) -> dict[int, tuple[int, int]]:
        """incident id -> (contacts told, notices sent) for October's escalated notices."""
        found: dict[int, tuple[set[int], int]] = {}
        for n in self.store.notices:
            if (n["tenant"] == tenant and n["kind"] == "escalated"
                    and MONTH_START <= n["created_at"] < MONTH_END):
                contacts, sent = found.get(n["incident_id"], (set(), 0))
                found[n["incident_id"]] = (contacts | {n["contact_id"]},
                                           sent + (n["state"] == "sent"))
        return {i: (len(c), s) for i, (c, s) in found.items()}

    def month_dispatches(self, tenant: str) -> list[dict[str, Any]]:
        return [d for d in self.store.dispatches
                if d["tenant"] == tenant and MONTH_START <= d["dispatched_at"] < MONTH_END]

    def coverage(self, sensor_id: str, until: datetime = MONTH_END
                 ) -> tuple[float, float]:
        """(monitored seconds, period seconds) of a sensor in the month up to `until`."""
        sensor = next(s for s in self.store.sensors if s["sensor_id"] == sensor_id)
        start = max(MONTH_START, sensor["created_at"]).timestamp()
        end = min(MONTH_END, until).timestamp()
        beats = sorted(b["received_at"].timestamp() for b in self.store.heartbeats
                       if b["sensor_id"] == sensor_id)
        monitored = 0.0
        for a, b in zip(beats, beats[1:], strict=False):
            if b - a <= self.offline_after:
                monitored += max(0.0, min(b, end) - max(a, start))
        return monitored, end - start

    def rule_changes(self, sensor_ids: list[str]) -> list[tuple[str, datetime, str, str]]:
        """(sensor, when, from, to) for each rules_version change inside October."""
        changes = []
        for sensor_id in sensor_ids:
            beats = sorted((b for b in self.store.heartbeats if b["sensor_id"] == sensor_id),
                           key=lambda b: b["received_at"])
            for a, b in zip(beats, beats[1:], strict=False):
                old = json.loads(a["heartbeat"])["rules_version"]
                new = json.loads(b["heartbeat"])["rules_version"]
                if old != new and MONTH_START <= b["received_at"] < MONTH_END:
                    changes.append((sensor_id, b["received_at"], old, new))
        return changes
