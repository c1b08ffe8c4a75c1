"""GET /api/v1/alerts (JSON feed) and GET /api/v1/alerts/stream (server-sent events).

Owns: the HTTP shape of the feed and the stream. Both need a signed-in
user and show a customer viewer only their own tenant. The stream reads the
database from the last id it sent (or the `Last-Event-ID` the browser
resends on reconnect) whenever the app's fan-out (collector/fanout.py) rings
— on PostgreSQL a NOTIFY from whichever collector process stored alerts,
with `stream_heartbeat_seconds` as a safety net; on SQLite every
`stream_poll_seconds` — and writes a comment line every
`stream_heartbeat_seconds` so proxies keep the connection open.
Does not own: the queries (repo/alerts.py) or the notifications (fanout.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from collector.api.deps import ScopedFeedFilter, SessionDep, StateDep
from collector.fanout import AlertFanout
from collector.repo.alerts import FeedFilter, alerts_after, feed_page, last_alert_id, public_alert
from collector.state import AppState

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
DEFAULT_LIMIT = 100
LIMIT_DOC = f"page size (default {DEFAULT_LIMIT}), capped at the config's page_size_max"


@router.get("")
def list_alerts(
    flt: ScopedFeedFilter, session: SessionDep, state: StateDep,
    limit: Annotated[int | None, Query(ge=1, description=LIMIT_DOC)] = None,
) -> dict[str, Any]:
    """Newest first; with `after_id`, oldest first from that cursor."""
    cap = state.config.page_size_max
    page = feed_page(session, flt, min(limit or DEFAULT_LIMIT, cap))
    return {"alerts": page.alerts, "next_before_id": page.next_before_id,
            "next_after_id": page.next_after_id}


@router.get("/stream")
async def stream_alerts(
    request: Request, flt: ScopedFeedFilter, state: StateDep,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """New alerts as `event: alert` with `id:` set to the feed cursor."""
    start = await run_in_threadpool(_start_id, state, flt, last_event_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request, state, flt, start),
                             media_type="text/event-stream", headers=headers)


def _start_id(state: AppState, flt: FeedFilter, last_event_id: str | None) -> int:
    # A reconnecting browser resumes where it was; a new client starts at "now".
    if last_event_id and last_event_id.strip().isdigit():
        return int(last_event_id)
    if flt.after_id is not None:
        return flt.after_id
    with state.database.session() as session:
        return last_alert_id(session)


async def _events(request: Request, state: AppState, flt: FeedFilter,
                  cursor: int) -> AsyncIterator[str]:
    config = state.config
    fanout: AlertFanout = request.app.state.fanout
    yield f"retry: {int(config.stream_poll_seconds * 1000) + 1000}\n\n"
    last_beat = time.monotonic()
    while not await request.is_disconnected():
        # Read before polling: a ring during the poll then ends the wait at once.
        seen = fanout.generation
        batch = await run_in_threadpool(_poll, state, flt, cursor)
        for record in batch:
            cursor = record["id"]
            yield sse_event(record)
        if time.monotonic() - last_beat >= config.stream_heartbeat_seconds:
            last_beat = time.monotonic()
            yield ": heartbeat\n\n"
        if len(batch) < config.page_size_max:
            await fanout.wait(seen, config.stream_poll_seconds, config.stream_heartbeat_seconds)


def _poll(state: AppState, flt: FeedFilter, cursor: int) -> list[dict[str, Any]]:
    with state.database.session() as session:
        rows = alerts_after(session, flt, cursor, state.config.page_size_max)
        return [public_alert(row) for row in rows]


def sse_event(record: dict[str, Any]) -> str:
    """One server-sent event; JSON never contains a raw newline, so one data line."""
    data = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return f"id: {record['id']}\nevent: alert\ndata: {data}\n\n"
