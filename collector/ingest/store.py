"""Storing a batch idempotently: alert_id is unique, batch_id answers the same.

Owns: the one transaction that inserts the alerts not stored yet (the
database skips known alert_ids: `ON CONFLICT DO NOTHING`, counted by
rowcount), records the batch's answer, keeps the agent's queue counters sent
with it and marks the sensor seen. The insert comes first so the transaction
takes the write lock before it reads anything (SQLite cannot upgrade a read
snapshot that a concurrent writer has moved past).
A concurrent twin of the same batch_id can still collide on the `batches`
primary key; the transaction is then retried, and the retry finds the twin's
answer. Does not own: HTTP (routes.py) or the row layout (rows.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.ingest.rows import alert_row
from collector.metrics import CollectorMetrics
from collector.models import Sensor
from collector.repo.alerts import insert_new_alerts
from collector.repo.batches import batch_result, find_batch, record_batch
from collector.repo.counters import record_counters
from collector.repo.sensors import touch_sensor
from uplink.schema import AlertBatch, BatchResult
from yamori.errors import IngestError

log = logging.getLogger(__name__)
ATTEMPTS = 3


def check_sender(sensor: Sensor, batch: AlertBatch) -> None:
    """A sensor may only send its own batches."""
    if batch.sensor_id != sensor.sensor_id:
        raise IngestError(
            f"batch sensor_id '{batch.sensor_id}' does not match the authenticated sensor", 403)


def store_batch(session: Session, sensor: Sensor, batch: AlertBatch,
                metrics: CollectorMetrics) -> BatchResult:
    """Store the batch's new alerts and answer; a replayed batch answers as before."""
    check_sender(sensor, batch)
    now = datetime.now(UTC)
    rows = [alert_row(i, record, sensor, now) for i, record in enumerate(batch.alerts)]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result, stored_now = _store_once(session, sensor, batch, rows, now)
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
                rows: list[dict[str, Any]], now: datetime) -> tuple[BatchResult, int]:
    """One attempt; returns the answer and how many alerts this request stored."""
    batch_id = batch.batch_id
    stored = insert_new_alerts(session, rows)
    known = find_batch(session, batch_id)
    if known is not None and known.sensor_id != sensor.sensor_id:
        # Raising leaves the transaction uncommitted: the insert above is rolled back.
        raise IngestError(f"batch_id '{batch_id}' was already used by another sensor", 409)
    if batch.counters is not None:
        record_counters(session, sensor.sensor_id, batch.counters, now)
    touch_sensor(session, sensor.sensor_id, now)
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
