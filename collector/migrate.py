"""The collector's schema under Alembic, driven from code (no alembic.ini).

Owns: the Alembic `Config` pointing at collector/migrations, `upgrade`,
`downgrade`, `current`, `new_revision` (autogenerate for developers) and
`schema_diffs` (autogenerate's comparison of a
database with the models), and `migrate_engine`, which `open_database` runs
at start: a database Alembic already manages is upgraded to head; an empty
one is upgraded from nothing; one made before Alembic (tables but no
`alembic_version`) is adopted: the tables, nullable columns and indexes it
lacks are added, it must then match the first revision exactly, and it is
stamped at that revision and upgraded. Anything else (a column of another
type, a NOT NULL column it lacks) raises `SchemaError` naming the
differences, never leaving a half-migrated schema.
Does not own: what a revision does (migrations/versions/), engines (db.py)
or partitions (partitions.py).
"""

from __future__ import annotations

import hashlib
import logging
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, ForeignKeyConstraint, Index, Table, inspect, text

import collector.tables  # noqa: F401  (registers every table on Base.metadata)
from collector.models import Base
from yamori.errors import YamoriError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The revision whose schema is the models' as they were when Alembic came in:
# a database from before Alembic that matches the models is stamped here.
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
_MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"yamori.migrate").digest()[:8], "big",
                                 signed=True)


class SchemaError(YamoriError):
    """The database's schema cannot be brought to the models' automatically."""


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config for collector/migrations, bound to `connection` if given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def script_directory() -> ScriptDirectory:
    """The revisions, read once per process (tests open many databases)."""
    return ScriptDirectory.from_config(alembic_config())


def migrate_command(config_path: Path | None) -> int:
    """`yamori collector migrate`: bring the configured database to head; prints the revision."""
    from collector.config import load_config
    from collector.partitions import ensure_partitions

    config = load_config(config_path)
    with _engine(config.database_url) as engine:
        before = current(engine)
        migrate_engine(engine)
        ensure_partitions(engine)
        after = current(engine)
    sys.stdout.write(f"database at revision {after} (was {before or 'unmanaged'})\n")
    return 0


def new_revision(message: str, rev_id: str) -> None:
    """Write migrations/versions/<rev_id>_<message>.py: what the models add over head.

    For developers after changing a model: autogenerate against a scratch
    SQLite database at head. Review the file (SQLite and PostgreSQL both run it).
    """
    with tempfile.TemporaryDirectory() as scratch:
        from collector.db import make_engine

        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.sqlite'}")
        migrate_engine(engine)
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=True,
                             rev_id=rev_id)
        engine.dispose()


def head() -> str:
    """The newest revision."""
    revision = script_directory().get_current_head()
    assert revision is not None
    return revision


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Upgrade the database at `url_or_engine` to `revision` (adopting a pre-Alembic one)."""
    with _engine(url_or_engine) as engine:
        migrate_engine(engine, revision)


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    """Downgrade the database to `revision` ("base" drops every table)."""
    with _engine(url_or_engine) as engine, engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def stamp(url_or_engine: str | Engine, revision: str) -> None:
    """Record `revision` as current without running anything."""
    with _engine(url_or_engine) as engine, engine.begin() as conn:
        command.stamp(alembic_config(conn), revision)


def current(url_or_engine: str | Engine) -> str | None:
    """The database's revision, or None when Alembic does not manage it (yet)."""
    with _engine(url_or_engine) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_diffs(connection: Connection) -> list[Any]:
    """Autogenerate's differences between the database and the models (empty: they match)."""
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "include_object": include_object})
    return list(compare_metadata(context, Base.metadata))


def include_object(obj: object, name: str | None, type_: str, reflected: bool,
                   compare_to: object) -> bool:
    """Leave the monthly partitions of `alerts` out of comparisons (partitions.py owns them)."""
    return not (type_ == "table" and name is not None and name.startswith("alerts_p"))


def migrate_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`: upgrade, or adopt a pre-Alembic schema first."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Collectors starting together on one database migrate one at a
            # time; the later ones then find it at head. (SQLite's write lock
            # does the same there.)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        names = set(inspect(conn).get_table_names())
        if names and VERSION_TABLE not in names:
            _adopt(conn)
        _run_upgrade(conn, revision)


def _run_upgrade(conn: Connection, revision: str) -> None:
    """`alembic upgrade` with the revisions read once per process, not per database."""
    script = script_directory()

    def steps(current_rev: Any, _context: Any) -> Any:
        return script._upgrade_revs(revision, current_rev)

    with EnvironmentContext(alembic_config(conn), script, fn=steps,
                            destination_rev=revision):
        script.run_env()


def _adopt(conn: Connection) -> None:
    """Add what a pre-Alembic schema lacks (if it only lacks things), check, stamp BASELINE."""
    log.warning("database has no %s: adopting its schema at revision %s",
                VERSION_TABLE, BASELINE)
    diffs = schema_diffs(conn)
    # Check before changing anything: SQLite commits DDL as it goes.
    blockers = [diff for diff in diffs if _kind(diff) not in _ADDERS]
    if not blockers:
        for kind in _ADDERS:
            for diff in diffs:
                if _kind(diff) == kind:
                    _ADDERS[kind](conn, diff)
        blockers = schema_diffs(conn)
    if blockers:
        raise SchemaError(
            "the database was made before migrations and differs from the models in ways "
            f"that cannot be added automatically: {_describe(blockers)}; copy its data into "
            "a new database (or fix these by hand) and run `yamori collector migrate` again")
    command.stamp(alembic_config(conn), BASELINE)


def _kind(diff: Any) -> str | None:
    """The kind of an autogenerate diff ("add_table", ...); None for column modifications."""
    if not isinstance(diff, tuple):
        return None
    if diff[0] == "add_column" and not diff[3].nullable:
        return "add_column_not_null"
    return str(diff[0])


def _add_table(conn: Connection, diff: Any) -> None:
    table: Table = diff[1]
    table.create(conn)


def _add_column(conn: Connection, diff: Any) -> None:
    column: Column[Any] = diff[3]
    with _operations(conn).batch_alter_table(diff[2]) as batch:
        batch.add_column(column._copy())


def _add_index(conn: Connection, diff: Any) -> None:
    index: Index = diff[1]
    index.create(conn)


def _add_fk(conn: Connection, diff: Any) -> None:
    key: ForeignKeyConstraint = diff[1]
    table = key.parent.name
    local = [column.name for column in key.columns]
    with _operations(conn).batch_alter_table(table) as batch:
        batch.create_foreign_key(f"{table}_{'_'.join(local)}_fkey", key.referred_table.name,
                                 local, [element.column.name for element in key.elements])


def _operations(conn: Connection) -> Operations:
    return Operations(MigrationContext.configure(conn))


# What adoption may add, in this order (columns before the indexes and keys on them).
_ADDERS = {"add_table": _add_table, "add_column": _add_column,
           "add_index": _add_index, "add_fk": _add_fk}


def _describe(diffs: list[Any]) -> str:
    return "; ".join(repr(diff)[:200] for diff in diffs)


class _engine:
    """An Engine for a URL (disposed on exit), or the caller's Engine (left open)."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        self._owned = isinstance(url_or_engine, str)
        if isinstance(url_or_engine, str):
            from collector.db import make_engine

            self.engine = make_engine(url_or_engine)
        else:
            self.engine = url_or_engine

    def __enter__(self) -> Engine:
        return self.engine

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            self.engine.dispose()
