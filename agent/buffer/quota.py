"""Which alerts leave the queue when it is over its bounds, and what a row costs on disk.

Owns the eviction order of the local queue: when the disk quota (or the
optional depth bound) is exceeded, the least severe alerts go first and,
within one severity, the oldest (Suricata's severity: 1 is the most severe,
so the HIGHEST number is evicted first). Alerts leased by the shipper (a
batch that may be on the wire right now) are never evicted, so an alert is
either delivered or counted as evicted, never both. It runs inside the
caller's transaction and does not count anything itself: store.py bumps the
persistent `evicted` counter in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, delete, select

from agent.buffer import tables as t

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# Suricata's default priority (severity) for a signature without classtype/priority.
DEFAULT_SEVERITY = 3
# Per-row cost beyond the JSON text: the row header, the seq and the unique
# alert_id index entry, the eviction index entry. An estimate, deliberately
# on the high side so the file stays under the quota.
ROW_OVERHEAD = 96
_CHUNK = 500


def severity_of(record: Mapping[str, Any]) -> int:
    """The record's EVE `alert.severity`, or Suricata's default when absent or malformed."""
    alert = record.get("alert")
    value = alert.get("severity") if isinstance(alert, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_SEVERITY


def row_cost(size: int) -> int:
    """Bytes one queued record of `size` JSON bytes is charged against the quota."""
    return size + ROW_OVERHEAD


def evict(conn: Connection, *, free_bytes: int, free_rows: int, above_seq: int) -> tuple[int, int]:
    """Delete least-severe-oldest rows with seq > above_seq until both goals are met.

    Returns (rows deleted, bytes freed as charged by row_cost).
    """
    q = t.queue.c
    rows_done = bytes_done = 0
    while bytes_done < free_bytes or rows_done < free_rows:
        query = (select(q.seq, q.size).where(q.seq > above_seq)
                 .order_by(q.severity.desc(), q.seq).limit(_CHUNK))
        victims: list[int] = []
        for seq, size in conn.execute(query):
            if bytes_done >= free_bytes and rows_done + len(victims) >= free_rows:
                break
            victims.append(seq)
            bytes_done += row_cost(size)
        if not victims:
            break  # only leased rows are left: they leave by ack, not eviction
        conn.execute(delete(t.queue).where(q.seq.in_(victims)))
        rows_done += len(victims)
    return rows_done, bytes_done
