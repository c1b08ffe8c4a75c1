"""A tiny fake collector on 127.0.0.1 for tests of the agent side (http.server in a thread).

Implements the ingest contract the agent relies on: POST /api/v1/batches with
a bearer token, JSON or gzip JSON AlertBatch body, 200 BatchResult with dedup
by alert_id, JSON {"error": ...} refusals, GET /healthz. It can be told to
misbehave: fail the next N requests with 503, reset the next N connections,
answer the next N with 429 Retry-After, reject batches holding a record with
signature_id == 0 (422). It lives in the package (like starlette.testclient)
so any test can import it under pytest's importlib mode. It is not the
collector: no storage, no console, loopback only.
"""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from uplink.schema import BATCHES_PATH, AlertBatch


@dataclass
class Behaviour:
    token: str = "s3cret"
    fail_503: int = 0
    reset: int = 0
    throttle_429: int = 0
    retry_after: str = "1"
    reject_sid0: bool = False


@dataclass
class Seen:
    """What the collector observed; guarded by FakeCollector.lock."""

    alert_ids: list[str] = field(default_factory=list)  # stored, in arrival order
    batches: list[dict[str, Any]] = field(default_factory=list)  # accepted envelopes
    requests: list[dict[str, Any]] = field(default_factory=list)  # every POST: headers, size
    duplicates: int = 0


class FakeCollector:
    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.seen = Seen()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.server.daemon_threads = True
        # A short poll interval keeps shutdown (every test's teardown) fast.
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> FakeCollector:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ingest(self, batch: AlertBatch) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if self.behaviour.reject_sid0 and any(
                a.alert.signature_id == 0 for a in batch.alerts
            ):
                return 422, {"error": "alert.signature_id must not be 0"}
            stored = 0
            for alert in batch.alerts:
                if alert.alert_id in self.seen.alert_ids:
                    self.seen.duplicates += 1
                else:
                    self.seen.alert_ids.append(alert.alert_id)
                    stored += 1
            self.seen.batches.append(batch.model_dump(by_alias=True))
        n = len(batch.alerts)
        return 200, {"batch_id": batch.batch_id, "received": n, "stored": stored,
                     "duplicates": n - stored}

    def take_fault(self) -> str | None:
        """Consume one pending fault, if any: 'reset', '503' or '429'."""
        with self.lock:
            b = self.behaviour
            for name, attr in (("reset", "reset"), ("503", "fail_503"), ("429", "throttle_429")):
                if getattr(b, attr) > 0:
                    setattr(b, attr, getattr(b, attr) - 1)
                    return name
        return None


def _make_handler(collector: FakeCollector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so the client's session reuse is real

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self._json(200, {"status": "ok"})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with collector.lock:
                collector.seen.requests.append(
                    {"headers": dict(self.headers), "size": len(raw),
                     "peer": self.client_address}
                )
            fault = collector.take_fault()
            if fault == "reset":
                self._reset()
                return
            if fault == "503":
                self._json(503, {"error": "maintenance"})
                return
            if fault == "429":
                self._json(429, {"error": "slow down"},
                           {"Retry-After": collector.behaviour.retry_after})
                return
            self._json(*self._ingest(raw))

        def _ingest(self, raw: bytes) -> tuple[int, dict[str, Any]]:
            if self.path != BATCHES_PATH:
                return 404, {"error": "not found"}
            if self.headers.get("Authorization") != f"Bearer {collector.behaviour.token}":
                return 401, {"error": "bad token"}
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            try:
                batch = AlertBatch.model_validate_json(raw)
            except ValidationError as exc:
                return 422, {"error": str(exc.errors()[0]["msg"])}
            return collector.ingest(batch)

        def _json(self, status: int, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _reset(self) -> None:
            # SO_LINGER 0 + close sends a TCP RST: a hard "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

    return Handler


def make_alert(alert_id: str, sid: int = 2019401, **extra: Any) -> dict[str, Any]:
    """A minimal valid EVE alert record."""
    record: dict[str, Any] = {
        "alert_id": alert_id,
        "timestamp": "2026-01-05T02:13:00.000000+0900",
        "flow_id": 1234567,
        "event_type": "alert",
        "src_ip": "192.168.1.23",
        "src_port": 49152,
        "dest_ip": "203.0.113.7",
        "dest_port": 443,
        "proto": "TCP",
        "alert": {
            "action": "allowed", "gid": 1, "signature_id": sid, "rev": 3,
            "signature": "ET MALWARE test beacon", "category": "A Network Trojan was detected",
            "severity": 1,
        },
    }
    record.update(extra)
    return record
