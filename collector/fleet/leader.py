"""Leadership among collector processes sharing one database: who runs the once-only jobs.

Owns: `leader_lock(database, name)`, a `LeaderLock` whose `holds()` takes the
lead if it is free and says whether this process still has it, and
`release()`. On PostgreSQL it is a session advisory lock
(`pg_try_advisory_lock`) on a connection of its own, held while leading: when
the process dies its connection closes, the server drops the lock, and the
next `holds()` of another process takes it. On SQLite it is an exclusive
`flock` on a file beside the database: SQLite's WAL already requires every
process to be on one host (shared memory), the kernel drops the lock with the
process, and no schema change or lease timeout is needed; holding SQLite's
own write lock instead would stall every ingest. An in-memory database has a
single process, which always leads.
Does not own: the jobs (fleet/detector.py) or making a job's effects
idempotent on their own (they still compare-and-set, in case two leaders
ever overlap).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from collector.db import Database

log = logging.getLogger(__name__)


class LeaderLock(Protocol):
    """A lock that one process at a time holds for a named job."""

    def holds(self) -> bool:
        """Take the lead if free; True while this process leads."""
        ...

    def release(self) -> None:
        """Give up the lead (idempotent)."""
        ...


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of job `name`."""
    return int.from_bytes(hashlib.sha256(f"yamori:{name}".encode()).digest()[:8], "big",
                          signed=True)


def leader_lock(database: Database, name: str) -> LeaderLock:
    """The right kind of lock for `database`'s backend."""
    url = database.engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(database, name)
    if url.database and url.database != ":memory:":
        return FileLock(Path(f"{url.database}.{name}.lock"), name)
    return AlwaysLeader()


class AdvisoryLock:
    """pg_try_advisory_lock on a dedicated autocommit connection."""

    def __init__(self, database: Database, name: str) -> None:
        self._database, self._name, self._key = database, name, lock_key(name)
        self._conn: Connection | None = None

    def holds(self) -> bool:
        try:
            return self._confirm() if self._conn is not None else self._acquire()
        except SQLAlchemyError:
            # The connection (and with it the lock) is gone; another process may lead now.
            log.warning("leader lock %s: connection lost", self._name, exc_info=True)
            self._drop()
            return False

    def _acquire(self) -> bool:
        conn = self._database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                {"key": self._key}).scalar())
        if not got:
            conn.close()
            return False
        self._conn = conn
        log.info("leading %s (process %d)", self._name, os.getpid())
        return True

    def _confirm(self) -> bool:
        assert self._conn is not None
        # A live session keeps its advisory locks; this proves the session is live.
        self._conn.execute(text("SELECT 1"))
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
        except SQLAlchemyError:
            log.debug("leader lock %s: unlock failed; closing drops it", self._name)
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()  # never hand a lock-holding session back to the pool
                conn.close()
            except SQLAlchemyError:
                pass


class FileLock:
    """An exclusive, non-blocking flock on `path`, held through an open descriptor."""

    def __init__(self, path: Path, name: str) -> None:
        self._path, self._name = path, name
        self._fd: int | None = None

    def holds(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        log.info("leading %s (process %d)", self._name, os.getpid())
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock


class AlwaysLeader:
    """One process per in-memory database: it always leads."""

    def holds(self) -> bool:
        return True

    def release(self) -> None:
        return None
