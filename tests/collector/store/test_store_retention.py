"""Retention: whole months dropped as partitions on PostgreSQL (timed), shorter per-tenant
retention by batched DELETE, the default partition trimmed by event time, SQLite by DELETE."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from collector import partitions
from collector.config import load_config
from collector.db import Database, open_database
from collector.partitions import Month
from collector.repo.alerts import insert_alert_rows
from collector.retention import (
    RetentionPolicy,
    apply_retention,
    first_kept,
    policy_from_config,
    retention_command,
)
from yamori.errors import ConfigError

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)
MONTHS = [Month(2026, m) for m in range(6, 12)]  # June .. November


def seed(database: Database, kit: Any, per_month: int = 3) -> None:
    """Alerts of two tenants in each month of MONTHS, plus one fleet event each month."""
    partitions.ensure_partitions(database.engine, now=NOW, since=MONTHS[0])
    with database.session() as session:
        kit.add_sensor(session, "pi-001", "tanaka-kogyo")
        kit.add_sensor(session, "pi-002", "suzuki-shoji")
        rows = []
        for month in MONTHS:
            made = month.start().replace(day=10)
            for n in range(per_month):
                rows.append(kit.row(kit.uuid7_at(made, 2 * n), made, "pi-001", "tanaka-kogyo"))
                rows.append(kit.row(kit.uuid7_at(made, 2 * n + 1), made, "pi-002", "suzuki-shoji"))
            rows.append(kit.row(f"fleet-{month.year}-{month.month}", made, "pi-002",
                                "suzuki-shoji"))
        insert_alert_rows(session, rows)
        session.commit()


def months_of(database: Database, tenant: str) -> dict[tuple[int, int], int]:
    with database.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT ts_epoch FROM alerts WHERE tenant = :t"), {"t": tenant}).scalars()
        counts: dict[tuple[int, int], int] = {}
        for epoch in rows:
            moment = datetime.fromtimestamp(epoch, UTC)
            counts[(moment.year, moment.month)] = counts.get((moment.year, moment.month), 0) + 1
        return counts


def test_first_kept_counts_the_current_month() -> None:
    assert first_kept(1, NOW) == Month(2026, 11)
    assert first_kept(12, NOW) == Month(2025, 12)


def test_months_past_every_retention_are_dropped_shorter_ones_deleted(
        store_url: str, kit: Any) -> None:
    database = open_database(store_url)
    seed(database, kit)
    policy = RetentionPolicy(default_months=4, tenant_months={"tanaka-kogyo": 2})
    result = apply_retention(database.engine, policy, now=NOW, batch_size=2)
    # suzuki-shoji keeps Aug..Nov (4 months), tanaka-kogyo Oct..Nov (2 months).
    assert months_of(database, "suzuki-shoji") == {(2026, m): 4 for m in range(8, 12)}
    assert months_of(database, "tanaka-kogyo") == {(2026, 10): 3, (2026, 11): 3}
    with database.engine.connect() as conn:
        if partitions.is_partitioned(conn):
            assert result.dropped_partitions == ["alerts_p2026_06", "alerts_p2026_07"]
            assert min(partitions.month_partitions(conn)) == Month(2026, 8)
            # Dropped: tanaka's 2 months x 3; deleted: tanaka's Aug+Sep and both fleet events.
            assert result.deleted_rows == 6 + 2
        else:
            assert result.dropped_partitions == [] and result.deleted_rows == 4 * 3 + 2 * 4
    # Again: nothing more to remove.
    again = apply_retention(database.engine, policy, now=NOW)
    assert again.dropped_partitions == [] and again.deleted_rows == 0
    database.dispose()


def test_keep_forever_removes_nothing(store_url: str, kit: Any) -> None:
    database = open_database(store_url)
    seed(database, kit, per_month=1)
    result = apply_retention(database.engine, RetentionPolicy(), now=NOW)
    assert result.dropped_partitions == [] and result.deleted_rows == 0
    assert sum(months_of(database, "tanaka-kogyo").values()) == len(MONTHS)
    database.dispose()


def test_dropping_a_full_month_takes_under_a_second(pg_url: str, kit: Any) -> None:
    database = open_database(pg_url)
    partitions.ensure_partitions(database.engine, now=NOW, since=Month(2026, 1))
    with database.session() as session:
        kit.add_sensor(session)
    low, high = Month(2026, 1).start().timestamp(), Month(2026, 2).start().timestamp()
    with database.engine.begin() as conn:
        # 100k alerts made across January 2026, with every index of the table to update.
        conn.execute(text(
            "INSERT INTO alerts (alert_id, sensor_id, tenant, received_at, timestamp, ts_epoch,"
            " signature_id, gid, rev, signature, category, severity, src_ip, dest_ip, proto, eve)"
            " SELECT lpad(to_hex((1000 * (:low + (:high - :low) * n / 100000.0))::bigint), 12,"
            " '0') AS h, 'pi-001', 'tanaka-kogyo', now(), '', :low + (:high - :low) * n / 1e5,"
            " 2019401 + n % 50, 1, 1, 's', 'c', 1 + n % 4, '10.0.0.' || n % 200, '203.0.113.9',"
            " 'TCP', '{}' FROM generate_series(0, 99999) AS n"), {"low": low, "high": high})
        conn.execute(text(
            "UPDATE alerts SET alert_id = substr(alert_id, 1, 8) || '-' || substr(alert_id, 9, 4)"
            " || '-7000-8000-' || lpad(to_hex(id), 12, '0') WHERE tenant = 'tanaka-kogyo'"))
        assert conn.execute(text("SELECT count(*) FROM alerts_p2026_01")).scalar() == 100_000
    started = time.perf_counter()
    result = apply_retention(database.engine, RetentionPolicy(default_months=10), now=NOW)
    took = time.perf_counter() - started
    assert result.dropped_partitions == ["alerts_p2026_01"] and result.deleted_rows == 0
    assert result.drop_seconds < 1.0, result.drop_seconds
    print(f"retention: dropping a 100k-alert month took {result.drop_seconds * 1000:.0f} ms "  # noqa: T201
          f"(commit included), the whole run {took * 1000:.0f} ms")
    database.dispose()


def test_retention_keys_from_toml_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "collector.toml"
    path.write_text('retention_months_default = 13\n'
                    'retention_months = { "tanaka-kogyo" = 24, "suzuki-shoji" = 6 }\n',
                    encoding="utf-8")
    policy = policy_from_config(load_config(path, {}, env={}))
    assert policy == RetentionPolicy(13, {"tanaka-kogyo": 24, "suzuki-shoji": 6})
    assert policy.longest() == 24 and policy.months_for("other") == 13
    env = {"YAMORI_COLLECTOR_RETENTION_MONTHS": "tanaka-kogyo=3, suzuki-shoji=0"}
    assert load_config(None, {}, env=env).retention_months == {"tanaka-kogyo": 3,
                                                                "suzuki-shoji": 0}
    path.write_text('retention_months = { "tanaka-kogyo" = "two years" }\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="retention_months"):
        load_config(path, {}, env={})
    with pytest.raises(ConfigError, match="retention_months_default"):
        load_config(None, {"retention_months_default": -1}, env={})


def test_retention_command_applies_the_configured_policy(
        tmp_path: Path, kit: Any, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    database = open_database(url)
    seed(database, kit, per_month=1)
    database.dispose()
    path = tmp_path / "collector.toml"
    path.write_text(f'database_url = "{url}"\nretention_months_default = 2\n', encoding="utf-8")
    assert retention_command(path, now=NOW) == 0
    # June..September: one alert of each tenant and one fleet event a month.
    assert "alerts deleted: 12" in capsys.readouterr().out
