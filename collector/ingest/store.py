"""Storing a batch idempotently, grouped into incidents: alert_id is unique,
batch_id answers the same.

Owns: the one transaction that marks the sensor seen, stores the alerts not
stored yet with their incidents (incidents/grouping.py: a retried batch or a
resent alert adds nothing to an incident's count), records the batch's
answer and keeps the agent's queue counters sent with it.
The first statement writes (the sensor's last_seen_at), so the transaction
holds SQLite's write lock before it reads anything: what it reads (stored
alert_ids, open incidents) cannot change under it, and SQLite never has to
upgrade a read snapshot a concurrent writer has moved past. On PostgreSQL a
transaction-scoped advisory lock per tenant does the same for the tenant's
incidents. A concurrent twin of the same batch_id can still collide on the
`batches` primary key; the transaction is then retried, and the retry finds
the twin's answer. Does not own: HTTP (routes.py) or the row layout (rows.py).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.incidents.grouping import store_grouped
from collector.ingest.rows import alert_row
from collector.metrics import CollectorMetrics
from collector.models import Sensor
from collector.repo.alerts import unstored_rows
from collector.repo.batches import batch_result, find_batch, record_batch
from collector.repo.counters import record_counters
from collector.repo.sensors import touch_sensor
from uplink.schema import AlertBatch, BatchResult
from yamori.errors import IngestError

log = logging.getLogger(__name__)
ATTEMPTS = 3
DEFAULT_INCIDENT_WINDOW = CollectorConfig().incident_window_seconds


def check_sender(sensor: Sensor, batch: AlertBatch) -> None:
    """A sensor may only send its own batches."""
    if batch.sensor_id != sensor.sensor_id:
        raise IngestError(
            f"batch sensor_id '{batch.sensor_id}' does not match the authenticated sensor", 403)


def store_batch(session: Session, sensor: Sensor, batch: AlertBatch,
                metrics: CollectorMetrics,
                incident_window: float = DEFAULT_INCIDENT_WINDOW) -> BatchResult:
    """Store the batch's new alerts and answer; a replayed batch answers as before.

    `incident_window` is the config's incident_window_seconds.
    """
    check_sender(sensor, batch)
    now = datetime.now(UTC)
    rows = [alert_row(i, record, sensor, now) for i, record in enumerate(batch.alerts)]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result, stored_now = _store_once(session, sensor, batch, rows, now,
                                             incident_window)
            break
        except IntegrityError:
            session.rollback()
            if attempt == ATTEMPTS:
                raise
            log.info("batch %s raced a concurrent insert; retrying", batch.batch_id)
    metrics.batches.inc()
    metrics.stored.inc(stored_now)
    metrics.duplicates.inc(len(rows) - stored_now)
    return result


def _store_once(session: Session, sensor: Sensor, batch: AlertBatch,
                rows: list[dict[str, Any]], now: datetime,
                window: float) -> tuple[BatchResult, int]:
    """One attempt; returns the answer and how many alerts this request stored."""
    batch_id = batch.batch_id
    touch_sensor(session, sensor.sensor_id, now)  # first: takes the write lock
    lock_tenant(session, sensor.tenant)
    known = find_batch(session, batch_id)
    if known is not None and known.sensor_id != sensor.sensor_id:
        # Raising leaves the transaction uncommitted: nothing of it is kept.
        raise IngestError(f"batch_id '{batch_id}' was already used by another sensor", 409)
    # Copies: grouping adds incident_id and id, and a retried attempt starts afresh.
    fresh = [dict(row) for row in unstored_rows(session, rows)]
    stored = store_grouped(session, sensor.tenant, fresh, window, now)
    if batch.counters is not None:
        record_counters(session, sensor.sensor_id, batch.counters, now)
    if known is not None and stored == 0:
        session.commit()
        return batch_result(known), 0
    if known is not None:
        # Same batch_id, different content: store what is new rather than lose it.
        log.warning("batch %s replayed with %d new alerts", batch_id, stored)
    result = BatchResult(batch_id=batch_id, received=len(rows), stored=stored,
                         duplicates=len(rows) - stored)
    if known is None:
        record_batch(session, sensor.sensor_id, result, now)
    session.commit()
    return result, stored


def lock_tenant(session: Session, tenant: str) -> None:
    """Serialize the tenant's ingest until commit (PostgreSQL; SQLite's write lock already does)."""
    if session.connection().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(tenant.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
