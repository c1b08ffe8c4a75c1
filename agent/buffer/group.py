"""Group commit: many alerts, one transaction, at most `max_delay` seconds late.

Owns batching in front of AlertQueue.append so the SD card sees one fsync per
batch instead of one per alert. `add` only buffers (in memory: an alert is
NOT durable until the commit that carries it, and `on_commit` is how the
caller learns it is); a background flusher commits the whole buffer as ONE
`append` when it holds `max_records` alerts or its oldest alert has waited
`max_delay` seconds. The latest cursor given to `add` is committed in that
same transaction, so a bookmark never runs ahead of the alerts it produced.

It does not decide what is kept or evicted (store.py/quota.py do) and never
drops a record: a failed commit keeps the buffer and is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from agent.buffer.store import AlertQueue
from yamori.errors import QueueError

log = logging.getLogger(__name__)

# After a failed background commit, wait this long before trying again.
_RETRY_DELAY = 1.0


class GroupCommitter:
    """Buffers alerts and commits them to `queue` in groups; thread-safe."""

    def __init__(self, queue: AlertQueue, max_records: int = 256, max_delay: float = 1.0,
                 on_commit: Callable[[int], None] | None = None,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        if max_records < 1 or max_delay <= 0:
            raise ValueError("max_records must be >= 1 and max_delay > 0")
        self.queue = queue
        self.max_records = max_records
        self.max_delay = max_delay
        self.on_commit = on_commit
        self._clock = clock
        self._cond = threading.Condition()
        # Held for a whole take-and-commit, so groups reach the queue in add order.
        self._commit_lock = threading.Lock()
        self._buffer: list[Mapping[str, Any]] = []
        self._cursor: tuple[str, str] | None = None
        self._oldest: float | None = None  # clock() when the oldest buffered record came
        self._closed = False
        self._failed_at: float | None = None
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def add(self, record: Mapping[str, Any], cursor: tuple[str, str] | None = None) -> None:
        """Buffer `record` (and remember `cursor` as the latest bookmark) for the next commit."""
        alert_id = record.get("alert_id")
        if not isinstance(alert_id, str) or not alert_id:
            # Refuse here, in the caller's thread: in the flusher it would block the group.
            raise ValueError("every queued record needs a non-empty string 'alert_id'")
        with self._cond:
            if self._closed:
                raise QueueError("group committer is closed")
            if self._oldest is None:
                self._oldest = self._clock()
                self._cond.notify_all()  # the flusher sleeps without a deadline until now
            self._buffer.append(record)
            if cursor is not None:
                self._cursor = cursor
            if len(self._buffer) >= self.max_records:
                self._cond.notify_all()

    def set_cursor(self, cursor: tuple[str, str]) -> None:
        """Move the bookmark without a record (input that raised no alert); committed lazily."""
        with self._cond:
            self._cursor = cursor
            if self._oldest is None:
                self._oldest = self._clock()
                self._cond.notify_all()

    def pending(self) -> int:
        """Records buffered and not yet committed."""
        with self._cond:
            return len(self._buffer)

    def flush(self) -> int:
        """Commit what is buffered now; return how many records were committed (new or not).

        Raises QueueError if the commit fails; the records stay buffered.
        """
        with self._commit_lock:
            with self._cond:
                records, cursor = self._take()
            if not records and cursor is None:
                return 0
            try:
                self.queue.append(records, cursor)
            except QueueError:
                self._put_back(records, cursor)
                raise
            self._failed_at = None
        if self.on_commit is not None and records:
            self.on_commit(len(records))
        return len(records)

    def close(self) -> None:
        """Flush what is buffered and stop the flusher; later adds raise QueueError."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()
        self.flush()

    def __enter__(self) -> GroupCommitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------

    def _take(self) -> tuple[list[Mapping[str, Any]], tuple[str, str] | None]:
        records, cursor = self._buffer, self._cursor
        self._buffer, self._cursor, self._oldest = [], None, None
        return records, cursor

    def _put_back(self, records: list[Mapping[str, Any]], cursor: tuple[str, str] | None) -> None:
        with self._cond:
            self._buffer[:0] = records
            if self._cursor is None:  # a newer cursor, added meanwhile, wins
                self._cursor = cursor
            if self._buffer or self._cursor is not None:
                self._oldest = self._clock() - self.max_delay  # due again at once
            self._failed_at = self._clock()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._due():
                    self._cond.wait(self._wait_time())
                if self._closed:
                    return  # close() flushes in the caller's thread
            try:
                self.flush()
            except QueueError:
                log.exception("group commit failed; %d records stay buffered, retrying",
                              self.pending())

    def _due(self) -> bool:
        if self._failed_at is not None and self._clock() - self._failed_at < _RETRY_DELAY:
            return False
        if len(self._buffer) >= self.max_records:
            return True
        return self._oldest is not None and self._clock() - self._oldest >= self.max_delay

    def _wait_time(self) -> float | None:
        if self._failed_at is not None and self._clock() - self._failed_at < _RETRY_DELAY:
            return _RETRY_DELAY - (self._clock() - self._failed_at)
        if self._oldest is None:
            return None
        return max(0.0, self.max_delay - (self._clock() - self._oldest))
