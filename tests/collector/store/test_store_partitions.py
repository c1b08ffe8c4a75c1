"""Monthly partitions of `alerts` on PostgreSQL: layout, months made ahead, idempotent ingest
across partitions, the default partition, and SQLite keeping one table."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from collector import partitions
from collector.db import open_database
from collector.partitions import Month
from collector.repo.alerts import insert_alert_rows

NOW = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def where(session: Session, alert_id: str) -> str:
    return str(session.execute(text(
        "SELECT tableoid::regclass::text FROM alerts WHERE alert_id = :a"), {"a": alert_id}
    ).scalar_one())


def test_month_bounds_enclose_exactly_the_ids_made_in_the_month(kit: Any) -> None:
    month = Month(2025, 1)
    first = kit.uuid7_at(month.start())
    last = kit.uuid7_at(datetime.fromtimestamp(month.plus(1).start().timestamp() - 0.001, UTC),
                        (1 << 42) - 1)
    assert month.bound() <= first < last < month.plus(1).bound()
    assert kit.uuid7_at(datetime.fromtimestamp(month.start().timestamp() - 0.001, UTC),
                        (1 << 42) - 1) < month.bound()
    assert partitions.month_of_alert_id(first) == month
    assert partitions.month_of_alert_id("fleet-0123") is None
    assert Month(2025, 12).plus(1) == Month(2026, 1) and Month(2026, 1).plus(-1) == Month(2025, 12)


def test_open_database_makes_this_month_two_ahead_and_a_default(pg_url: str) -> None:
    database = open_database(pg_url)
    this = Month.of(datetime.now(UTC))
    with database.engine.connect() as conn:
        assert partitions.is_partitioned(conn)
        made = partitions.month_partitions(conn)
        default = conn.execute(text("SELECT to_regclass(:d)"),
                               {"d": partitions.DEFAULT_PARTITION}).scalar()
    assert {this, this.plus(1), this.plus(2)} <= set(made) and default is not None
    assert partitions.ensure_partitions(database.engine) == []  # nothing left to make
    assert partitions.ensure_partitions(database.engine, months_ahead=3)[0] == \
        this.plus(3).partition()
    database.dispose()


def test_alerts_land_in_their_month_and_a_resend_is_stored_once(pg_url: str, kit: Any) -> None:
    database = open_database(pg_url)
    partitions.ensure_partitions(database.engine, now=NOW, since=Month(2026, 9))
    october = kit.uuid7_at(datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC))
    november = kit.uuid7_at(datetime(2026, 11, 1, tzinfo=UTC))
    with database.session() as session:
        kit.add_sensor(session)
        rows = [kit.row(october, NOW), kit.row(november, NOW), kit.row("fleet-x1", NOW)]
        assert len(insert_alert_rows(session, rows)) == 3
        session.commit()
        # A retried batch, received in another month: nothing is stored twice.
        assert insert_alert_rows(session, rows) == {}
        session.commit()
        assert session.execute(text("SELECT count(*) FROM alerts")).scalar() == 3
        assert where(session, october) == "alerts_p2026_10"
        assert where(session, november) == "alerts_p2026_11"
        assert where(session, "fleet-x1") == partitions.DEFAULT_PARTITION
    database.dispose()


def test_a_new_month_takes_its_rows_from_the_default_partition(pg_url: str, kit: Any) -> None:
    database = open_database(pg_url)
    far = datetime(2031, 4, 2, tzinfo=UTC)  # a box whose clock runs years ahead
    stray = kit.uuid7_at(far)
    with database.session() as session:
        kit.add_sensor(session)
        insert_alert_rows(session, [kit.row(stray, far)])
        session.commit()
        assert where(session, stray) == partitions.DEFAULT_PARTITION
    assert partitions.ensure_partitions(database.engine, months_ahead=0, now=far) != []
    with database.session() as session:
        assert where(session, stray) == "alerts_p2031_04"
        assert insert_alert_rows(session, [kit.row(stray, far)]) == {}
    database.dispose()


def test_sqlite_keeps_one_table(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with database.engine.connect() as conn:
        assert not partitions.is_partitioned(conn)
    assert partitions.ensure_partitions(database.engine) == []
    database.dispose()
