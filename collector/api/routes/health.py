"""GET /healthz and GET /metrics: is this collector well, and what has it done.

Owns: the health answer (503 when the database does not answer) and the
Prometheus exposition of this app's own registry. Does not own: the metric
definitions (metrics.py).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from collector.api.deps import SessionDep, StateDep
from collector.db import ping
from collector.repo.sensors import count_sensors

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(state: StateDep) -> JSONResponse:
    """{"status": "ok", "db": "ok"}, or 503 with "error" when the database is down."""
    if ping(state.database):
        return JSONResponse({"status": "ok", "db": "ok"})
    return JSONResponse({"status": "error", "db": "error"}, status_code=503)


@router.get("/metrics")
def metrics(state: StateDep, session: SessionDep) -> Response:
    """Prometheus text exposition; the sensor gauge is refreshed at scrape time."""
    state.metrics.sensors.set(count_sensors(session))
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
