"""The collector's one mapping from errors to HTTP answers.

Owns: answering every YamoriError as {"error": message} with its status
(IngestError carries one; any other YamoriError is a 500 that says what went
wrong), FastAPI's own parameter validation errors in the same shape, and
counting refused ingest requests by reason. Does not own: raising them.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from collector.ingest.body import location
from uplink.schema import BATCHES_PATH
from yamori.errors import IngestError, YamoriError

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(YamoriError, _yamori_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]


async def _yamori_error(request: Request, exc: YamoriError) -> JSONResponse:
    status = exc.status if isinstance(exc, IngestError) else 500
    if status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return _answer(request, status, str(exc))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = location(tuple(first["loc"]))
    return _answer(request, 422, f"{where}: {first['msg']}")


def _answer(request: Request, status: int, message: str) -> JSONResponse:
    if request.url.path == BATCHES_PATH and 400 <= status < 500:
        request.app.state.collector.metrics.reject(status)
    return JSONResponse({"error": message}, status_code=status)
