"""Opening the queue file: integrity check, moving a corrupt file aside, migrations, engine.

Owns everything that happens before the first query: deciding whether an
existing file is usable (`PRAGMA quick_check`), renaming an unusable one to
`<name>.corrupt-<UTC timestamp>` (with its -wal/-shm sidecars, so a stale WAL
is never replayed into the fresh file), applying the plain-SQL migrations in
tables.py under `PRAGMA user_version`, and building the SQLAlchemy engine
with WAL + synchronous=FULL on every connection. It does not read or write
alerts: store.py does.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from agent.buffer.tables import MIGRATIONS, SCHEMA_VERSION
from yamori.errors import QueueError

log = logging.getLogger(__name__)

_SIDECARS = ("-wal", "-shm", "-journal")


def integrity_problem(path: Path) -> str | None:
    """Why `path` is not a usable SQLite database, or None if it is (or does not exist)."""
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(path)
        try:
            rows = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed", ...
        return str(exc)
    if rows != [("ok",)]:
        return "; ".join(str(r[0]) for r in rows[:5])
    return None


def move_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename `path` (and sidecars) to `<name>.corrupt-<timestamp>`; return the new path."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():  # two moves in one second must not overwrite evidence
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.rename(target)
    for suffix in _SIDECARS:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target


def migrate(path: Path) -> int:
    """Bring the schema at `path` up to SCHEMA_VERSION; return the version found before."""
    con = sqlite3.connect(path)
    try:
        # WAL is persistent in the file; set it before any table exists.
        con.execute("PRAGMA journal_mode=WAL")
        found = int(con.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise QueueError(
                f"queue {path} has schema version {found}, newer than this agent's "
                f"{SCHEMA_VERSION}: refusing to touch it"
            )
        for version, sql in MIGRATIONS:
            if version > found:
                _apply(con, version, sql)
        return found
    finally:
        con.close()


def _apply(con: sqlite3.Connection, version: int, sql: str) -> None:
    # One transaction per migration: the DDL and the user_version bump land together.
    try:
        con.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
    except sqlite3.Error:
        con.rollback()
        raise


def bump_counter(path: Path, name: str, by: int = 1) -> None:
    """Add to a persistent counter directly (used before the engine exists)."""
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute("UPDATE counters SET value = value + ? WHERE name = ?", (by, name))
    finally:
        con.close()


def make_engine(path: Path) -> Engine:
    """An engine over one shared connection; callers serialise use with their own lock."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
        # One connection: the store's lock already serialises the writer and
        # shipper threads, and a single connection keeps WAL checkpoints simple.
        poolclass=StaticPool,
    )
    event.listen(engine, "connect", _on_connect)
    return engine


def _on_connect(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: the WAL is fsynced at every commit, so "append returned" means on disk.
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def open_queue_file(path: Path) -> Engine:
    """Check, recover if needed, migrate and open the queue at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    problem = integrity_problem(path)
    if problem is not None:
        moved = move_aside(path)
        log.error("alert queue %s is unreadable (%s): moved to %s, starting a fresh queue",
                  path, problem, moved.name)
    try:
        migrate(path)
        if problem is not None:
            bump_counter(path, "corrupt")
    except sqlite3.Error as exc:
        raise QueueError(f"cannot initialise alert queue {path}: {exc}") from exc
    return make_engine(path)
