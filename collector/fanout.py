"""Waking every collector process's live streams when alerts are stored, with no broker.

Owns: `announce_alerts(session)` — after a commit that stored alerts, on
PostgreSQL, `NOTIFY yamori_alerts, '<max alert id>'` (a no-op elsewhere) —
and `AlertFanout`, one per app: on PostgreSQL a task LISTENs on a psycopg 3
async connection of its own and wakes the app's stream waiters on each
notification (from this or any other process on the database); on SQLite,
where processes share no channel, waiters sleep the poll interval as before.
A waiter that is woken only polls the database: notifications are a doorbell,
never the data, so a missed one (listener reconnecting) costs at most the
idle timeout and loses nothing.
Does not own: what a stream sends (api/routes/alerts.py) or storing alerts
(ingest/).
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from sqlalchemy import make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CHANNEL = "yamori_alerts"
RECONNECT_SECONDS = 1.0

_NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', "
               "(SELECT coalesce(max(id), 0) FROM alerts)::text)")


def is_postgresql(session: Session) -> bool:
    """True when `session` talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def announce_alerts(session: Session) -> None:
    """Tell every process's streams that alerts were committed (call after the commit)."""
    if not is_postgresql(session):
        return
    try:
        session.execute(_NOTIFY)
        session.commit()  # NOTIFY is delivered when its transaction commits
    except SQLAlchemyError:
        # The alerts are stored already; streams still find them at their idle timeout.
        session.rollback()
        log.warning("alert fan-out: NOTIFY failed", exc_info=True)


def listen_dsn(database_url: str) -> str | None:
    """The libpq URI to LISTEN on for `database_url`; None when it is not PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class AlertFanout:
    """Wakes stream waiters when any process stores alerts (or after a poll interval)."""

    def __init__(self, dsn: str | None) -> None:
        self._dsn = dsn
        self.generation = 0  # bumped on every wake-up; waiters compare it
        self.latest_id = 0  # highest alert id announced so far
        self.listening = False
        self._changed: anyio.Event | None = None

    @classmethod
    def for_database(cls, database_url: str) -> AlertFanout:
        return cls(listen_dsn(database_url))

    async def wait(self, seen: int, poll_seconds: float, idle_seconds: float) -> None:
        """Return once `generation` differs from `seen`, or after a timeout.

        Listening, the timeout is `idle_seconds` (a safety net); otherwise it is
        `poll_seconds`, the plain polling interval.
        """
        if not self.listening:
            await anyio.sleep(poll_seconds)
            return
        if self.generation != seen:
            return
        if self._changed is None:
            self._changed = anyio.Event()
        with anyio.move_on_after(idle_seconds):
            await self._changed.wait()

    def wake(self, payload: str = "") -> None:
        """Wake every waiter (also called by tests and on (re)connect)."""
        if payload.isdigit():
            self.latest_id = max(self.latest_id, int(payload))
        self.generation += 1
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    async def run(self) -> None:
        """LISTEN until cancelled, reconnecting after errors (the app's lifespan task)."""
        if self._dsn is None:
            return
        while True:
            try:
                await self._listen(self._dsn)
            except Exception:  # a dropped connection must not end the feed's wake-ups
                log.warning("alert fan-out: LISTEN connection lost; reconnecting",
                            exc_info=True)
            finally:
                self.listening = False
            await anyio.sleep(RECONNECT_SECONDS)

    async def _listen(self, dsn: str) -> None:
        import psycopg

        conn: Any = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        async with conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            self.listening = True
            self.wake()  # whatever was announced while we were not listening
            async for note in conn.notifies():
                self.wake(note.payload)
