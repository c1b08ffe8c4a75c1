"""Helpers for the notifier's tests (and other modules' tests that need notices).

Owns: a webhook receiver on 127.0.0.1 (a small http.server thread that
answers 500 to the first `fail_first` requests, then 200, recording each JSON
body and when it came), an SMTP sink (aiosmtpd on a free loopback port,
keeping every message), signing a principal in through
`dependency_overrides[current_user]`, and short ways to add contacts, queue
incident notices and run one delivery pass with a fixed clock.
Does not own: any production behaviour.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.auth.deps import current_user
from collector.auth.principal import Principal, Role
from collector.notify.api import IncidentNotice, enqueue_incident_notice
from collector.notify.contacts import create_contact
from collector.notify.deliver import PassReport, deliver_pass
from collector.notify.models import Contact, Delivery, Notice
from collector.notify.schemas import ContactCreate, QuietHours
from collector.notify.settings import NotifySettings
from collector.state import AppState
from uplink.faults import free_port

TENANT = "tanaka-kogyo"
# 2024-05-01 02:13 JST, the night in DESIGN.md.
NIGHT = datetime(2024, 4, 30, 17, 13, tzinfo=UTC)


@dataclass
class WebhookReceiver:
    """Records every POST; answers 500 to the first `fail_first`, then 200."""

    fail_first: int = 0
    requests: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hooks/yamori"

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [body for _, status, body in self.requests if status == 200]

    def statuses(self) -> list[int]:
        with self.lock:
            return [status for _, status, _ in self.requests]

    def wait_accepted(self, count: int, timeout: float) -> float | None:
        """Seconds (monotonic) of the count-th accepted request, or None at timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                done = [at for at, status, _ in self.requests if status == 200]
            if len(done) >= count:
                return done[count - 1]
            time.sleep(0.02)
        return None


@contextmanager
def serve_webhook(fail_first: int = 0) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 until exit."""
    receiver = WebhookReceiver(fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with receiver.lock:
                status = 500 if len(receiver.requests) < receiver.fail_first else 200
                receiver.requests.append((time.monotonic(), status, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpSink:
    """Every message handed to the local SMTP server, parsed."""

    port: int
    raw: list[bytes] = field(default_factory=list)

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=yamori@example.jp&to={to}&mode=insecure"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default)
                for raw in self.raw]


@contextmanager
def serve_smtp() -> Iterator[SmtpSink]:
    """An SMTP server on 127.0.0.1 until exit (aiosmtpd: a test dependency)."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            sink.raw.append(envelope.content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def state(app: FastAPI) -> AppState:
    found: AppState = app.state.collector
    return found


def settings(app: FastAPI, **overrides: Any) -> NotifySettings:
    return replace(NotifySettings.from_config(state(app).config), **overrides)


def sign_in_as(app: FastAPI, role: Role, tenant: str | None = None,
               username: str | None = None) -> TestClient:
    principal = Principal(username or f"{role}-user", role, tenant)
    app.dependency_overrides[current_user] = lambda: principal
    return TestClient(app)


def add_contact(app: FastAPI, url: str, tenant: str | None = TENANT, name: str = "総務",
                quiet: tuple[str, str] | None = None, **fields: Any) -> int:
    body = ContactCreate(name=name, url=url,
                         quiet_hours=QuietHours(start=quiet[0], end=quiet[1]) if quiet else None,
                         **fields)
    with state(app).database.session() as session:
        contact = create_contact(session, tenant, body, "test", "Asia/Tokyo", NIGHT)
        session.commit()
        return contact.id


def incident(incident_id: int = 42, severity: int = 1, count: int = 3,
             **fields: Any) -> IncidentNotice:
    values: dict[str, Any] = {
        "incident_id": incident_id, "tenant": TENANT,
        "signature": "YAMORI DNS query for known C2 domain", "category": "trojan-activity",
        "gid": 1, "sid": 1000003, "severity": severity, "src_ip": "192.168.1.23",
        "dest_ip": "203.0.113.9", "internal_host": None, "count": count,
        "first_seen": NIGHT, "last_seen": NIGHT + timedelta(minutes=5),
        "url": f"/customer/incidents/{incident_id}",
    }
    values.update(fields)
    return IncidentNotice(**values)


def enqueue(app: FastAPI, notice: IncidentNotice, kind: str = "escalated",
            now: datetime = NIGHT) -> list[int]:
    with state(app).database.session() as session:
        ids = enqueue_incident_notice(session, notice, kind, "analyst-user",  # type: ignore[arg-type]
                                      now=now)
        session.commit()
        return ids


def run_pass(app: FastAPI, now: datetime = NIGHT, worker: str = "w1",
             **overrides: Any) -> PassReport:
    return deliver_pass(state(app).database, settings(app, **overrides), worker,
                        clock=lambda: now)


def notice_rows(app: FastAPI) -> list[Notice]:
    with state(app).database.session() as session:
        return list(session.query(Notice).order_by(Notice.id))


def delivery_rows(app: FastAPI, notice_id: int) -> list[Delivery]:
    with state(app).database.session() as session:
        return list(session.query(Delivery).filter(Delivery.notice_id == notice_id)
                    .order_by(Delivery.attempt))


def contact_row(app: FastAPI, contact_id: int) -> Contact:
    with state(app).database.session() as session:
        found = session.get(Contact, contact_id)
        assert found is not None
        return found
