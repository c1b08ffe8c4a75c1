"""Move Suricata's eve.json alerts into the agent's queue, exactly once.

Owns: resuming from the bookmark committed in the queue (cursor
`suricata.eve`, "device:inode:offset"), adding yamori's fields to each alert
(alert_id, sensor_id, tenant; Suricata's own fields are never renamed), and
committing every batch of alerts *together with* the bookmark after the last
line read, in one queue transaction. A crash therefore loses or keeps both:
the next agent re-reads exactly the lines whose alerts were not committed.
Stats records go to a callback (health.py); other event types are skipped.
It does not start Suricata or rotate eve.json (live.py does).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent.engines.base import EveRecord
from agent.engines.suricata.eve import Bookmark, EveFollower
from uplink.ids import new_alert_id

log = logging.getLogger(__name__)

CURSOR_NAME = "suricata.eve"
# A bookmark with no alert to carry it is still committed this often, so a
# restart does not re-read hours of stats lines.
_IDLE_COMMIT_SECONDS = 5.0


class CursorQueue(Protocol):
    """The part of agent/buffer's AlertQueue the feed needs."""

    def append(self, records: Sequence[Mapping[str, Any]],
               cursor: tuple[str, str] | None = None) -> int: ...

    def get_cursor(self, name: str) -> str | None: ...


def encode_bookmark(mark: Bookmark) -> str:
    return f"{mark.device}:{mark.inode}:{mark.offset}"


def decode_bookmark(text: str | None) -> Bookmark | None:
    """The bookmark a cursor value names; None for no or an unreadable cursor."""
    try:
        device, inode, offset = (int(part) for part in (text or "").split(":"))
    except ValueError:
        if text:
            log.warning("eve: ignoring unreadable cursor %r; reading eve.json from its start", text)
        return None
    return Bookmark(device, inode, offset)


@dataclass(slots=True, frozen=True)
class Enricher:
    """yamori's fields on an EVE alert, added beside Suricata's."""

    sensor_id: str
    tenant: str | None = None

    def __call__(self, record: EveRecord) -> EveRecord:
        record["alert_id"] = new_alert_id()
        record["sensor_id"] = self.sensor_id
        if self.tenant:
            record["tenant"] = self.tenant
        return record


@dataclass(slots=True)
class FeedCounters:
    alerts: int = 0
    commits: int = 0
    stats_records: int = 0
    other_records: int = 0
    alert_ids: list[str] = field(default_factory=list)


class EveFeed:
    """Follow eve.json from the committed bookmark into the queue."""

    def __init__(self, eve: Path, queue: CursorQueue, enrich: Callable[[EveRecord], EveRecord],
                 *, rotated: Sequence[Path] = (), batch_max: int = 256,
                 on_stats: Callable[[EveRecord], None] | None = None,
                 on_commit: Callable[[int], None] | None = None,
                 keep_ids: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.queue = queue
        self.enrich = enrich
        self.batch_max = batch_max
        self.on_stats = on_stats
        self.on_commit = on_commit
        self.keep_ids = keep_ids  # remember alert ids (the demo checks them)
        self.counters = FeedCounters()
        self._clock = clock
        self.committed = decode_bookmark(queue.get_cursor(CURSOR_NAME))
        self._last_commit = clock()
        self.follower = EveFollower(eve, self.committed, rotated)

    @property
    def malformed(self) -> int:
        return self.follower.malformed

    def poll(self) -> int:
        """Commit everything readable now; the number of alerts committed."""
        batch: list[EveRecord] = []
        done = 0
        mark: Bookmark | None = None
        for record, mark in self.follower.poll():
            if self._route(record):
                batch.append(self.enrich(record))
            if len(batch) >= self.batch_max:
                done += self._commit(batch, mark)
                batch = []
        if mark is not None and (batch or self._cursor_due(mark)):
            done += self._commit(batch, mark)
        return done

    def _route(self, record: EveRecord) -> bool:
        kind = record.get("event_type")
        if kind == "alert":
            return True
        if kind == "stats":
            self.counters.stats_records += 1
            if self.on_stats is not None:
                self.on_stats(record)
        else:
            self.counters.other_records += 1
        return False

    def _cursor_due(self, mark: Bookmark) -> bool:
        # Moving to another file must be committed at once: the rotated file
        # may be deleted once no committed bookmark points into it.
        old = self.committed
        if old is None or (old.device, old.inode) != (mark.device, mark.inode):
            return True
        return mark != old and self._clock() - self._last_commit >= _IDLE_COMMIT_SECONDS

    def _commit(self, batch: list[EveRecord], mark: Bookmark) -> int:
        self.queue.append(batch, cursor=(CURSOR_NAME, encode_bookmark(mark)))
        self.committed = mark
        self._last_commit = self._clock()
        self.counters.commits += 1
        self.counters.alerts += len(batch)
        if self.keep_ids:
            self.counters.alert_ids += [r["alert_id"] for r in batch]
        if batch and self.on_commit is not None:
            self.on_commit(len(batch))
        return len(batch)

    def close(self) -> None:
        self.follower.close()
