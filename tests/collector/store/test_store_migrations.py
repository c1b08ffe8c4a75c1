"""Alembic migrations on SQLite and PostgreSQL: from the first revision to head, round trips,
adopting a database made before migrations, and open_database on each path."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, inspect, select, text

from collector import migrate
from collector.db import make_engine, open_database
from collector.models import Alert, Base
from collector.repo.alerts import insert_alert_rows


def diffs(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return migrate.schema_diffs(conn)
    finally:
        engine.dispose()


def test_first_revision_to_head_matches_the_models(store_url: str) -> None:
    migrate.upgrade(store_url, migrate.BASELINE)
    assert migrate.current(store_url) == migrate.BASELINE
    migrate.upgrade(store_url)
    assert migrate.current(store_url) == migrate.head()
    assert diffs(store_url) == []


def test_downgrade_to_base_and_up_again(store_url: str) -> None:
    migrate.upgrade(store_url)
    migrate.downgrade(store_url, migrate.BASELINE)
    assert diffs(store_url) == []
    migrate.downgrade(store_url, "base")
    engine = make_engine(store_url)
    assert set(inspect(engine).get_table_names()) <= {migrate.VERSION_TABLE}
    engine.dispose()
    migrate.upgrade(store_url)
    assert diffs(store_url) == []


def test_upgrade_keeps_alerts_stored_at_the_first_revision(store_url: str, kit: Any) -> None:
    migrate.upgrade(store_url, migrate.BASELINE)
    engine = make_engine(store_url)
    made = datetime(2025, 3, 14, tzinfo=UTC)
    ids = [kit.uuid7_at(made, n) for n in range(3)] + ["fleet-not-a-uuid"]
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        kit.add_sensor(session)
        insert_alert_rows(session, [kit.row(alert_id, made) for alert_id in ids])
        session.commit()
    engine.dispose()
    migrate.upgrade(store_url)
    database = open_database(store_url)
    with database.session() as session:
        stored = session.execute(select(Alert.id, Alert.alert_id).order_by(Alert.id)).all()
        assert [alert_id for _, alert_id in stored] == ids
        # The id sequence goes on from where it was: feed cursors stay valid.
        again = insert_alert_rows(session, [kit.row(kit.uuid7_at(made, 9), made),
                                            kit.row(ids[0], made)])
        session.commit()
        assert list(again.values())[0] > stored[-1][0] and len(again) == 1
    database.dispose()


def test_open_database_migrates_and_reopens_quickly(store_url: str) -> None:
    started = time.perf_counter()
    database = open_database(store_url)
    first = time.perf_counter() - started
    database.dispose()
    started = time.perf_counter()
    database = open_database(store_url)
    again = time.perf_counter() - started
    database.dispose()
    assert migrate.current(store_url) == migrate.head()
    assert first < 5 and again < 2, (first, again)


def test_pre_migration_database_matching_the_models_is_adopted(store_url: str) -> None:
    engine = make_engine(store_url)
    Base.metadata.create_all(engine)  # what open_database did before migrations
    engine.dispose()
    database = open_database(store_url)
    database.dispose()
    assert migrate.current(store_url) == migrate.head()
    assert diffs(store_url) == []


def test_pre_migration_database_lacking_nullable_columns_and_tables_is_completed(
        store_url: str) -> None:
    # The walking skeleton's schema: sensors had no hostname or revoked_at, and
    # most of today's tables (alerts with incident_id among them) came later.
    engine = make_engine(store_url)
    old = MetaData()
    Table("sensors", old, Column("sensor_id", String(128), primary_key=True),
          Column("tenant", String(128), nullable=False, index=True),
          Column("name", String(256), nullable=False),
          Column("token_sha256", String(64), nullable=False, unique=True),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("last_seen_at", DateTime(timezone=True)))
    for name in ("batches", "sensor_counters"):
        Base.metadata.tables[name].to_metadata(old)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO sensors (sensor_id, tenant, name, token_sha256, "
                          "created_at) VALUES ('pi-001', 't', 'n', 'x', '2024-01-01')"))
    engine.dispose()
    database = open_database(store_url)
    database.dispose()
    assert migrate.current(store_url) == migrate.head()
    assert diffs(store_url) == []
    engine = make_engine(store_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT sensor_id, hostname FROM sensors")).all() == [
            ("pi-001", None)]
    engine.dispose()


def test_pre_migration_database_that_cannot_be_completed_is_refused(store_url: str) -> None:
    engine = make_engine(store_url)
    odd = MetaData()
    Table("sensors", odd, Column("sensor_id", String(128), primary_key=True),
          Column("favourite_colour", String(16), nullable=False))
    odd.create_all(engine)
    engine.dispose()
    with pytest.raises(migrate.SchemaError, match="yamori collector migrate") as raised:
        open_database(store_url)
    assert "tenant" in str(raised.value)
    # Nothing half-done: no version recorded, no table added beside the odd one.
    engine = make_engine(store_url)
    assert set(inspect(engine).get_table_names()) == {"sensors"}
    engine.dispose()


def test_migrate_command_reports_the_revision(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "collector.toml"
    path.write_text(f'database_url = "sqlite:///{tmp_path / "c.sqlite"}"\n', encoding="utf-8")
    assert migrate.migrate_command(path) == 0
    assert capsys.readouterr().out == f"database at revision {migrate.head()} (was unmanaged)\n"
    assert migrate.migrate_command(path) == 0
    assert f"(was {migrate.head()})" in capsys.readouterr().out


def _open_and_report(url: str) -> str | None:
    open_database(url).dispose()
    return migrate.current(url)


def test_collectors_starting_together_migrate_once(pg_url: str) -> None:
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        revisions = list(pool.map(_open_and_report, [pg_url] * 4))
    assert revisions == [migrate.head()] * 4
    assert diffs(pg_url) == []
