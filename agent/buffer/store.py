"""The agent's durable alert queue: append, lease, ack, over SQLite (WAL) via SQLAlchemy Core.

Owns the queue's semantics: an alert is committed (fsynced, one transaction
per `append` call) before `append` returns; alerts leave in insertion order;
they are deleted only when acknowledged (`ack`) or moved to the `poison`
table, and every alert that leaves any other way (eviction under `max_depth`,
a corrupt file moved aside) is counted in persistent counters. Opening,
corruption recovery and migrations live in sqlite.py, the schema in
tables.py. It does not talk to the network (uplink/shipper.py does) and it
has one consumer: `lease` does not hide leased rows from a second reader.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from agent.buffer import tables as t
from agent.buffer.sqlite import open_queue_file
from yamori.errors import QueueError

# SQLite's historic bound-parameter limit is 999; stay well under it per statement.
_CHUNK = 500


@dataclass(slots=True, frozen=True)
class QueuedAlert:
    """One leased alert: `seq` is its place in the queue, `size` its JSON size in bytes."""

    seq: int
    alert_id: str
    record: dict[str, Any]
    size: int


@dataclass(slots=True, frozen=True)
class PoisonedAlert:
    """An alert the collector refused on its own; kept for an operator to look at."""

    seq: int
    alert_id: str
    record: dict[str, Any]
    reason: str
    poisoned_at: float


class AlertQueue:
    """A durable FIFO of EVE alert records keyed by `alert_id`.

    Safe for one writer thread and one shipper thread: every database use is
    serialised by one lock. `max_depth`, when set, evicts the oldest alerts
    beyond it on append and counts them as `evicted` (never silently).
    """

    def __init__(self, path: Path, *, max_depth: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.max_depth = max_depth
        self._clock = clock
        self._lock = threading.RLock()
        self._engine = open_queue_file(self.path)
        self._closed = False

    # -- writer side -----------------------------------------------------------------

    def append(self, records: Sequence[Mapping[str, Any]]) -> int:
        """Commit `records` in one transaction; return how many were new.

        Each record must carry a non-empty `alert_id`; one already queued is
        skipped, so a re-append after a crash is harmless.
        """
        now = self._clock()
        rows = [_row(r, now) for r in records]
        if not rows:
            return 0
        with self._db() as conn:
            stmt = sqlite_insert(t.queue).on_conflict_do_nothing(index_elements=["alert_id"])
            added = conn.execute(stmt, rows).rowcount
            _bump(conn, "appended", added)
            if self.max_depth is not None:
                _bump(conn, "evicted", _evict_beyond(conn, self.max_depth))
        return added

    # -- shipper side ----------------------------------------------------------------

    def lease(self, max_records: int, max_bytes: int) -> list[QueuedAlert]:
        """The oldest alerts, up to `max_records` and `max_bytes` of JSON.

        Always returns at least one alert when the queue is not empty, even if
        it alone exceeds `max_bytes`: an oversized alert must not block the
        queue (the collector decides whether to refuse it).
        """
        if max_records <= 0:
            return []
        cols = (t.queue.c.seq, t.queue.c.alert_id, t.queue.c.record, t.queue.c.size)
        query = select(*cols).order_by(t.queue.c.seq).limit(max_records)
        with self._db() as conn:
            rows = conn.execute(query).all()
        leased: list[QueuedAlert] = []
        total = 0
        for seq, alert_id, record, size in rows:
            if leased and total + size > max_bytes:
                break
            leased.append(QueuedAlert(seq, alert_id, json.loads(record), size))
            total += size
        return leased

    def ack(self, seqs: Sequence[int]) -> int:
        """Delete delivered alerts by seq; return how many were deleted."""
        done = 0
        with self._db() as conn:
            for chunk in _chunks(seqs):
                done += conn.execute(delete(t.queue).where(t.queue.c.seq.in_(chunk))).rowcount
            _bump(conn, "acked", done)
        return done

    def move_to_poison(self, seqs: Sequence[int], reason: str) -> int:
        """Move alerts the collector refused individually to the poison table; count them."""
        moved = 0
        now = self._clock()
        cols = [t.queue.c[name] for name in ("seq", "alert_id", "record", "size", "enqueued_at")]
        with self._db() as conn:
            for chunk in _chunks(seqs):
                src = select(*cols, literal(reason), literal(now)).where(
                    t.queue.c.seq.in_(chunk)
                )
                names = ["seq", "alert_id", "record", "size", "enqueued_at", "reason",
                         "poisoned_at"]
                conn.execute(insert(t.poison).from_select(names, src))
                moved += conn.execute(delete(t.queue).where(t.queue.c.seq.in_(chunk))).rowcount
            _bump(conn, "poison", moved)
        return moved

    # -- inspection ------------------------------------------------------------------

    def depth(self) -> int:
        """How many alerts wait to be delivered."""
        with self._db() as conn:
            return int(conn.execute(select(func.count()).select_from(t.queue)).scalar_one())

    def oldest_age(self, now: float | None = None) -> float | None:
        """Seconds the oldest waiting alert has been queued, or None when empty."""
        with self._db() as conn:
            oldest = conn.execute(select(func.min(t.queue.c.enqueued_at))).scalar_one()
        if oldest is None:
            return None
        return max(0.0, (self._clock() if now is None else now) - float(oldest))

    def counters(self) -> dict[str, int]:
        """Persistent totals: appended, acked, poison, evicted, corrupt."""
        with self._db() as conn:
            rows = conn.execute(select(t.counters.c.name, t.counters.c.value)).all()
        found = {name: int(value) for name, value in rows}
        return {name: found.get(name, 0) for name in t.COUNTER_NAMES} | found

    def poisoned(self, limit: int = 100) -> list[PoisonedAlert]:
        """The most recently poisoned alerts, newest first."""
        p = t.poison.c
        query = select(p.seq, p.alert_id, p.record, p.reason, p.poisoned_at)
        query = query.order_by(p.poisoned_at.desc(), p.seq.desc()).limit(limit)
        with self._db() as conn:
            rows = conn.execute(query).all()
        return [PoisonedAlert(s, a, json.loads(r), why, at) for s, a, r, why, at in rows]

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        """Release the database; the queue cannot be used afterwards."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._engine.dispose()

    def __enter__(self) -> AlertQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        # One lock around every use: SQLite has one writer anyway, and the
        # shared connection must never be used by two threads at once.
        with self._lock:
            if self._closed:
                raise QueueError(f"alert queue {self.path} is closed")
            try:
                with self._engine.begin() as conn:
                    yield conn
            except SQLAlchemyError as exc:
                raise QueueError(f"alert queue {self.path}: {exc}") from exc


def _row(record: Mapping[str, Any], now: float) -> dict[str, Any]:
    alert_id = record.get("alert_id")
    if not isinstance(alert_id, str) or not alert_id:
        # A caller bug, not a queue fault: refuse the whole call before writing anything.
        raise ValueError("every queued record needs a non-empty string 'alert_id'")
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return {"alert_id": alert_id, "record": text, "size": len(text.encode()),
            "enqueued_at": now}


def _bump(conn: Connection, name: str, by: int) -> None:
    if by:
        conn.execute(
            update(t.counters).where(t.counters.c.name == name)
            .values(value=t.counters.c.value + by)
        )


def _evict_beyond(conn: Connection, max_depth: int) -> int:
    excess = conn.execute(select(func.count()).select_from(t.queue)).scalar_one() - max_depth
    if excess <= 0:
        return 0
    oldest = select(t.queue.c.seq).order_by(t.queue.c.seq).limit(excess).scalar_subquery()
    return int(conn.execute(delete(t.queue).where(t.queue.c.seq.in_(oldest))).rowcount)


def _chunks(seqs: Sequence[int]) -> Iterator[list[int]]:
    items = list(seqs)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]

