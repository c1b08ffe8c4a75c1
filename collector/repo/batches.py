"""Queries on `batches`: the answer recorded for each batch_id.

Owns: reading and recording a batch's result. Does not own: deciding what a
replay answers (ingest/store.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collector.models import Batch
from uplink.schema import BatchResult


def find_batch(session: Session, batch_id: str) -> Batch | None:
    """The recorded batch, or None if this batch_id is new."""
    return session.get(Batch, batch_id)


def record_batch(session: Session, sensor_id: str, result: BatchResult, when: datetime) -> None:
    """Remember the answer given to a new batch_id (caller commits)."""
    session.add(Batch(
        batch_id=result.batch_id, sensor_id=sensor_id, received_at=when,
        received=result.received, stored=result.stored, duplicates=result.duplicates,
    ))


def batch_result(batch: Batch) -> BatchResult:
    """The wire answer recorded for `batch`."""
    return BatchResult(batch_id=batch.batch_id, received=batch.received,
                       stored=batch.stored, duplicates=batch.duplicates)
