"""agent.buffer.tables: the Core tables match what the SQL migrations create."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from agent.buffer.sqlite import migrate
from agent.buffer.tables import SCHEMA_VERSION, metadata


def test_core_tables_match_migrated_schema(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    migrate(path)
    insp = inspect(create_engine(f"sqlite:///{path}"))
    for table in metadata.sorted_tables:
        on_disk = [c["name"] for c in insp.get_columns(table.name)]
        assert on_disk == [c.name for c in table.columns], table.name


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    assert migrate(path) == 0
    assert migrate(path) == SCHEMA_VERSION
