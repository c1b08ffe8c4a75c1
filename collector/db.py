"""Opening the collector's database: engine, sessions, schema, health.

Owns: turning `database_url` into an Engine (SQLite in WAL mode with foreign
keys on, or PostgreSQL through whichever driver is installed), the session
factory, bringing the schema to the newest migration at start (migrate.py;
on PostgreSQL that also creates the coming months' alert partitions) and the
health probe. Does not own: table definitions (models.py), migrations
(migrate.py, migrations/) or queries (repo/).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from collector.migrate import migrate_engine
from collector.partitions import ensure_partitions

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Database:
    """An engine and its session factory, owned by one app."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is closed (and rolled back if uncommitted) on exit."""
        with self.sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, create: bool = True) -> Database:
    """Connect to `url`; with `create`, migrate its schema to head (making it if empty).

    Raises SchemaError (migrate.py) for a pre-migration database that cannot
    be adopted as it is.
    """
    engine = make_engine(url)
    if create:
        migrate_engine(engine)
        ensure_partitions(engine)
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def make_engine(url: str) -> Engine:
    """An Engine for `url`; SQLite files get their directory, WAL and foreign keys."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        # FastAPI runs sync routes in a thread pool: connections move between threads.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    log.info("database %s", parsed.render_as_string(hide_password=True))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the feed read while ingest writes; SQLite leaves FKs off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL, not NORMAL: in WAL mode NORMAL may lose the last commits on power
    # loss after we answered 2xx and the agent deleted its copy. One fsync per
    # batch is cheap at a few large batches per second.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def ping(database: Database) -> bool:
    """True when the database answers a trivial query."""
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError:
        log.warning("database health check failed", exc_info=True)
        return False
