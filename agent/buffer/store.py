"""The agent's durable alert queue: append, lease, ack, over SQLite (WAL) via SQLAlchemy Core.

Owns the queue's semantics: an alert is committed (fsynced, one transaction
per `append` call, together with an optional cursor such as an eve.json
bookmark) before `append` returns; alerts leave in insertion order; they are
deleted only when acknowledged (`ack`) or moved to the `poison` table, and
every alert that leaves any other way (eviction under the byte quota or
`max_depth`, a corrupt file moved aside) is counted in persistent counters.
The eviction order lives in quota.py, opening, corruption recovery and
migrations in sqlite.py, the schema in tables.py. It does not batch appends
(group.py does) nor talk to the network (uplink/shipper.py does), and it has
one consumer: `lease` does not hide leased rows from a second reader.
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
from agent.buffer.quota import DEFAULT_MAX_BYTES, ROW_OVERHEAD, evict, row_cost, severity_of
from agent.buffer.sqlite import open_queue_file
from yamori.errors import QueueError

# SQLite's historic bound-parameter limit is 999; stay well under it per statement.
_CHUNK = 500
# Compact JSON; one encoder for all rows (json.dumps with options builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Beyond this many runs of consecutive seqs, an ack deletes by IN lists instead.
_MAX_RANGES = 16


@dataclass(slots=True, frozen=True)
class QueuedAlert:
    """One leased alert: `seq` is its place in the queue, `size` its JSON size in bytes.

    `text` is the record exactly as queued (compact JSON); the shipper sends
    it as it is, so `record` parses it only when someone asks.
    """

    seq: int
    alert_id: str
    text: str
    size: int

    @property
    def record(self) -> dict[str, Any]:
        """The EVE alert record (parsed from `text` on every call)."""
        value: dict[str, Any] = json.loads(self.text)
        return value


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
    serialised by one lock. `max_bytes` (default 256 MB, None for no bound)
    is the disk quota and `max_depth` an optional bound on the number of
    alerts; beyond either, append evicts least-severe-oldest alerts first and
    counts them as `evicted` (never silently).
    """

    def __init__(self, path: Path, *, max_depth: int | None = None,
                 max_bytes: int | None = DEFAULT_MAX_BYTES,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.max_depth = max_depth
        self.max_bytes = max_bytes
        self._clock = clock
        self._lock = threading.RLock()
        self._engine = open_queue_file(self.path)
        self._closed = False
        # The last lease (highest seq, rows, charged bytes) may be on the wire right now:
        # it is never evicted and does not count against the bounds until acked.
        self._lease_top = self._lease_rows = self._lease_bytes = 0
        self._depth, self._bytes = self._measure()

    # -- writer side -----------------------------------------------------------------

    def append(self, records: Sequence[Mapping[str, Any]],
               cursor: tuple[str, str] | None = None) -> int:
        """Commit `records` (and `cursor`, if given) in one transaction; return how many were new.

        Each record must carry a non-empty `alert_id`; one already queued is
        skipped, so a re-append after a crash is harmless. `cursor` is a
        (name, value) bookmark stored atomically with the records: after a
        crash `get_cursor(name)` says exactly up to where the input was queued.
        """
        now = self._clock()
        rows = [_row(r, now) for r in records]
        if not rows and cursor is None:
            return 0
        with self._db() as conn:
            added = conn.execute(_INSERT, rows).rowcount if rows else 0
            _bump(conn, "appended", added)
            if cursor is not None:
                _set_cursor(conn, *cursor)
            depth, size = self._after_insert(conn, rows, added)
            evicted, depth, size = self._evict(conn, depth, size)
            _bump(conn, "evicted", evicted)
        self._depth, self._bytes = depth, size
        return added

    def get_cursor(self, name: str) -> str | None:
        """The value last committed for cursor `name`, or None if never set."""
        query = select(t.cursors.c.value).where(t.cursors.c.name == name)
        with self._db() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else str(value)

    def _after_insert(self, conn: Connection, rows: list[dict[str, Any]],
                      added: int) -> tuple[int, int]:
        if added == len(rows):
            return self._depth + added, self._bytes + sum(row_cost(r["size"]) for r in rows)
        # Some were already queued (a re-append after a crash): recount exactly.
        return _measure(conn)

    def _evict(self, conn: Connection, depth: int, size: int) -> tuple[int, int, int]:
        over_bytes = size - self._lease_bytes - (self.max_bytes or 0)
        over_rows = depth - self._lease_rows - (self.max_depth or 0)
        over_bytes = over_bytes if self.max_bytes is not None else 0
        over_rows = over_rows if self.max_depth is not None else 0
        if over_bytes <= 0 and over_rows <= 0:
            return 0, depth, size
        rows, freed = evict(conn, free_bytes=max(over_bytes, 0), free_rows=max(over_rows, 0),
                            above_seq=self._lease_top)
        return rows, depth - rows, size - freed

    # -- shipper side ----------------------------------------------------------------

    def lease(self, max_records: int, max_bytes: int, after_seq: int = 0) -> list[QueuedAlert]:
        """The oldest alerts (with seq > after_seq), up to `max_records` and `max_bytes` of JSON.

        Always returns at least one alert when any qualifies, even if it alone
        exceeds `max_bytes`: an oversized alert must not block the queue (the
        collector decides whether to refuse it). With `after_seq` 0 the lease
        replaces the previous one; with the top seq of the current lease it
        extends it (the shipper preparing its next batch while one is on the
        wire), and both stay protected from eviction until acked.
        """
        if max_records <= 0:
            return []
        cols = (t.queue.c.seq, t.queue.c.alert_id, t.queue.c.record, t.queue.c.size)
        query = select(*cols).order_by(t.queue.c.seq).limit(max_records)
        if after_seq:
            query = query.where(t.queue.c.seq > after_seq)
        with self._lock:  # the lease mark must be set before a writer can evict again
            with self._db() as conn:
                rows = conn.execute(query).all()
            leased = _fit(rows, max_bytes)
            self._mark_lease(leased, extend=after_seq > 0)
        return leased

    def _mark_lease(self, leased: list[QueuedAlert], extend: bool) -> None:
        charged = sum(row_cost(a.size) for a in leased)
        if not extend:
            self._lease_top, self._lease_rows, self._lease_bytes = 0, 0, 0
        if leased:
            self._lease_top = max(self._lease_top, leased[-1].seq)
            self._lease_rows += len(leased)
            self._lease_bytes += charged

    def ack(self, seqs: Sequence[int], *, sent: int = 0, duplicates: int = 0) -> int:
        """Delete delivered alerts by seq; return how many were deleted.

        `sent` (alerts put on the wire since the last ack, retries included)
        and `duplicates` (alerts the collector already had) are counted in the
        same transaction.
        """
        done = 0
        freed = 0
        with self._db() as conn:
            # A lease is a run of consecutive seqs (gaps only where poison left),
            # so a few range deletes on the primary key replace long IN lists.
            for where in _seq_ranges(seqs):
                freed += _charged(conn, where)
                done += conn.execute(delete(t.queue).where(where)).rowcount
            _bump(conn, "acked", done)
            _bump(conn, "sent", sent)
            _bump(conn, "duplicates", duplicates)
        self._forget(done, freed)
        return done

    def move_to_poison(self, seqs: Sequence[int], reason: str) -> int:
        """Move alerts the collector refused individually to the poison table; count them."""
        moved = freed = 0
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
                where = t.queue.c.seq.in_(chunk)
                freed += _charged(conn, where)
                moved += conn.execute(delete(t.queue).where(where)).rowcount
            _bump(conn, "poison", moved)
        self._forget(moved, freed)
        return moved

    # -- inspection ------------------------------------------------------------------

    def depth(self) -> int:
        """How many alerts wait to be delivered."""
        with self._lock:
            self._check_open()
            return self._depth

    def queue_bytes(self) -> int:
        """Bytes the waiting alerts are charged against the quota (JSON plus row overhead)."""
        with self._lock:
            self._check_open()
            return self._bytes

    def oldest_age(self, now: float | None = None) -> float | None:
        """Seconds the oldest waiting alert has been queued, or None when empty."""
        # The lowest seq is the oldest append, and its lookup is one index step.
        query = select(t.queue.c.enqueued_at).order_by(t.queue.c.seq).limit(1)
        with self._db() as conn:
            oldest = conn.execute(query).scalar_one_or_none()
        if oldest is None:
            return None
        return max(0.0, (self._clock() if now is None else now) - float(oldest))

    def counters(self) -> dict[str, int]:
        """Persistent totals: appended, acked, sent, duplicates, poison, evicted, corrupt."""
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
        return [PoisonedAlert(s, a, _parsed(r), why, at) for s, a, r, why, at in rows]

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

    def _forget(self, rows: int, freed: int) -> None:
        # Only leased rows are acked or poisoned, so they leave the lease too.
        with self._lock:
            self._depth -= rows
            self._bytes -= freed
            self._lease_rows = max(0, self._lease_rows - rows)
            self._lease_bytes = max(0, self._lease_bytes - freed)

    def _check_open(self) -> None:
        if self._closed:
            raise QueueError(f"alert queue {self.path} is closed")

    def _measure(self) -> tuple[int, int]:
        with self._db() as conn:
            return _measure(conn)

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        # One lock around every use: SQLite has one writer anyway, and the
        # shared connection must never be used by two threads at once.
        with self._lock:
            self._check_open()
            try:
                with self._engine.begin() as conn:
                    yield conn
            except SQLAlchemyError as exc:
                raise QueueError(f"alert queue {self.path}: {exc}") from exc


_INSERT = sqlite_insert(t.queue).on_conflict_do_nothing(index_elements=["alert_id"])


def _row(record: Mapping[str, Any], now: float) -> dict[str, Any]:
    alert_id = record.get("alert_id")
    if not isinstance(alert_id, str) or not alert_id:
        # A caller bug, not a queue fault: refuse the whole call before writing anything.
        raise ValueError("every queued record needs a non-empty string 'alert_id'")
    text = _ENCODER.encode(record)
    return {"alert_id": alert_id, "record": text, "size": len(text.encode()),
            "enqueued_at": now, "severity": severity_of(record)}


def _parsed(text: str) -> dict[str, Any]:
    """A poisoned record for display; one that is not a JSON object shows as {"text": …}."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"text": text}
    return value if isinstance(value, dict) else {"text": text}


def _fit(rows: Sequence[Any], max_bytes: int) -> list[QueuedAlert]:
    leased: list[QueuedAlert] = []
    total = 0
    for seq, alert_id, record, size in rows:
        if leased and total + size > max_bytes:
            break
        leased.append(QueuedAlert(seq, alert_id, record, size))
        total += size
    return leased


def _set_cursor(conn: Connection, name: str, value: str) -> None:
    stmt = sqlite_insert(t.cursors).values(name=name, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value}))


def _measure(conn: Connection) -> tuple[int, int]:
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(t.queue.c.size), 0))
    ).one()
    return int(count), int(total) + int(count) * ROW_OVERHEAD


def _charged(conn: Connection, where: Any) -> int:
    count, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(t.queue.c.size), 0)).where(where)
    ).one()
    return int(total) + int(count) * ROW_OVERHEAD


def _bump(conn: Connection, name: str, by: int) -> None:
    if by:
        conn.execute(
            update(t.counters).where(t.counters.c.name == name)
            .values(value=t.counters.c.value + by)
        )


def _seq_ranges(seqs: Sequence[int]) -> Iterator[Any]:
    """WHERE clauses covering exactly `seqs`: one BETWEEN per run of consecutive seqs.

    Scattered seqs (more runs than _MAX_RANGES) fall back to IN lists.
    """
    ordered = sorted(set(seqs))
    runs: list[tuple[int, int]] = []
    for seq in ordered:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    if len(runs) > _MAX_RANGES:
        for chunk in _chunks(ordered):
            yield t.queue.c.seq.in_(chunk)
        return
    for low, high in runs:
        yield t.queue.c.seq.between(low, high)


def _chunks(seqs: Sequence[int]) -> Iterator[list[int]]:
    items = list(seqs)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]

