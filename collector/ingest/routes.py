"""POST /api/v1/batches: where agents deliver alert batches.

Owns: the HTTP shape of ingest — authenticate, read the body within bounds,
validate, store, ring the live feed's doorbell when something new was stored
(collector/fanout.py: NOTIFY on PostgreSQL, after the commit), answer
BatchResult. Thin on purpose: body handling is in body.py, storage in
store.py. Refusals are IngestErrors, answered as {"error": message} by the
app's one exception handler.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from collector.api.deps import SensorAuth, SessionDep, StateDep
from collector.fanout import announce_alerts
from collector.ingest.body import check_content_length, decode_content, parse_batch, read_bounded
from collector.ingest.store import store_batch
from uplink.schema import BATCHES_PATH, AlertBatch, BatchResult

router = APIRouter(tags=["ingest"])


async def incoming_batch(request: Request, state: StateDep) -> AlertBatch:
    """The request body as a validated AlertBatch (413, 415, 400 or 422 otherwise)."""
    limit = state.config.max_body_bytes
    check_content_length(request.headers.get("content-length"), limit)
    raw = await read_bounded(request.stream(), limit)
    return parse_batch(decode_content(raw, request.headers.get("content-encoding"), limit))


IncomingBatch = Annotated[AlertBatch, Depends(incoming_batch)]


@router.post(BATCHES_PATH, response_model=BatchResult)
def post_batch(sensor: SensorAuth, batch: IncomingBatch, session: SessionDep,
               state: StateDep) -> BatchResult:
    """Store a batch idempotently; the authenticated sensor sets sensor_id and tenant."""
    result = store_batch(session, sensor, batch, state.metrics,
                         state.config.incident_window_seconds)
    if result.stored:
        announce_alerts(session)  # after store_batch's commit: the alerts are visible
    return result
