"""Helpers for testing against a real collector (ours and other modules' tests).

Owns: the test database (`fresh_database_url`: a temporary SQLite file, or
with YAMORI_TEST_DATABASE=postgresql a fresh schema on the local
PostgreSQL, dropped at exit), building a collector on it (optionally with an
admin bearer token, which signs in to the console API as an admin), enrolling a sensor,
sample EVE alert records and batches, and a collector served by uvicorn on
127.0.0.1 in a background thread (for clients that need a real socket: the
uplink, the event stream). Does not own: any production behaviour.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from collector.config import CollectorConfig
from collector.main import create_app
from collector.repo.sensors import create_sensor
from collector.state import AppState

ADMIN_TOKEN = "collector-test-admin-token"
TEST_DATABASE_ENV = "YAMORI_TEST_DATABASE"
PG_TEST_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_PG_SCHEMA_PREFIX = "yamori_t_"
_pg_schemas: set[str] = set()


def database_backend() -> str:
    """"sqlite" (the default) or "postgresql", from YAMORI_TEST_DATABASE."""
    backend = os.environ.get(TEST_DATABASE_ENV, "sqlite").strip().lower() or "sqlite"
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(f"{TEST_DATABASE_ENV} must be sqlite or postgresql, not {backend!r}")
    return backend


def fresh_database_url(tmp_path: Path, name: str = "collector.sqlite") -> str:
    """The database URL of a test: the same (tmp_path, name) gives the same database.

    SQLite: the file `tmp_path / name`. PostgreSQL (YAMORI_TEST_DATABASE=postgresql):
    a schema of its own on the server at 127.0.0.1:5432 (database `test`, trust
    auth), made now and dropped by `drop_test_schemas` (at the latest at exit).
    """
    if database_backend() == "sqlite":
        return f"sqlite:///{tmp_path / name}"
    digest = hashlib.sha256(f"{os.getpid()}:{tmp_path / name}".encode()).hexdigest()[:20]
    schema = f"{_PG_SCHEMA_PREFIX}{digest}"
    if schema not in _pg_schemas:
        _pg_admin(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        if not _pg_schemas:
            atexit.register(drop_test_schemas)
        _pg_schemas.add(schema)
    return f"{PG_TEST_BASE}?options=-csearch_path%3D{schema}"


def drop_test_schemas() -> None:
    """Drop the PostgreSQL schemas `fresh_database_url` made in this process."""
    while _pg_schemas:
        _pg_admin(f'DROP SCHEMA IF EXISTS "{_pg_schemas.pop()}" CASCADE')


def _pg_admin(statement: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(PG_TEST_BASE, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def temp_config(tmp_path: Path, admin_token: str | None = None,
                **overrides: Any) -> CollectorConfig:
    """A config on a fresh test database (`fresh_database_url`), quick to stream.

    With `admin_token` (e.g. ADMIN_TOKEN), it is written to an admin_token_file:
    requests with `admin_headers(admin_token)` then act as an admin.
    """
    base = CollectorConfig(
        port=0, database_url=fresh_database_url(tmp_path),
        stream_poll_seconds=0.05, stream_heartbeat_seconds=0.5,
    )
    if admin_token is not None:
        token_file = tmp_path / "collector-admin.token"
        token_file.write_text(admin_token + "\n", encoding="utf-8")
        base = replace(base, admin_token_file=str(token_file))
    return replace(base, **overrides)


def admin_headers(token: str = ADMIN_TOKEN) -> dict[str, str]:
    """The Authorization header of the admin bearer token."""
    return {"Authorization": f"Bearer {token}"}


def enroll(app: FastAPI, sensor_id: str = "pi-001", tenant: str = "tanaka-kogyo") -> str:
    """Enroll a sensor in `app`'s database; returns its bearer token."""
    state: AppState = app.state.collector
    with state.database.session() as session:
        return create_sensor(session, sensor_id, tenant, f"{tenant} {sensor_id}")


def sample_alert(n: int = 0, **fields: Any) -> dict[str, Any]:
    """An EVE alert record as the agent sends it; `fields` override top-level keys."""
    record: dict[str, Any] = {
        "alert_id": f"a-{n:06d}-{uuid.uuid4().hex[:8]}",
        "timestamp": f"2024-05-01T02:13:{n % 60:02d}.000000+0900",
        "flow_id": 1_000_000 + n, "event_type": "alert", "src_ip": "192.168.1.23",
        "src_port": 49152 + n % 1000, "dest_ip": "203.0.113.9", "dest_port": 443,
        "proto": "TCP", "app_proto": "tls",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2019401, "rev": 3,
                  "signature": "ET POLICY Suspicious beacon", "category": "A Network Trojan",
                  "severity": 1, "metadata": {"created_at": ["2024_01_01"]}},
        "tls": {"sni": "c2.example"},
    }
    record.update(fields)
    return record


def sample_batch(alerts: list[dict[str, Any]], sensor_id: str = "pi-001",
                 batch_id: str | None = None) -> dict[str, Any]:
    """A batch envelope as the agent POSTs it."""
    return {"schema": 1, "batch_id": batch_id or uuid.uuid4().hex, "sensor_id": sensor_id,
            "sent_at": "2024-05-01T02:13:30+0900", "alerts": alerts}


@dataclass(slots=True)
class LiveCollector:
    """A collector served on loopback; `url` is its base URL."""

    app: FastAPI
    url: str


@contextmanager
def serve_in_thread(config: CollectorConfig) -> Iterator[LiveCollector]:
    """Serve a new app for `config` on 127.0.0.1 (port 0 picks a free one) until exit."""
    app = create_app(replace(config, listen="127.0.0.1"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=config.port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="collector-test", daemon=True)
    thread.start()
    try:
        port = _wait_started(server)
        yield LiveCollector(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _wait_started(server: uvicorn.Server, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test collector did not start")
        time.sleep(0.02)
    return int(server.servers[0].sockets[0].getsockname()[1])
