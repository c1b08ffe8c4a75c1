"""Fixtures of the rule-update tests: a bundle server on loopback, signed bundles, agents.

`server`: a real HTTP server on 127.0.0.1 (http.server in a thread) that
serves bundles with a sha256 ETag and answers `If-None-Match` with 304, counts
full downloads, records the headers it saw, and answers POST
/api/v1/heartbeat with whatever `answer` holds (a stand-in collector for the
heartbeat wiring; the real collector's offers are another helper's work).

`kit`: makes signed bundles (rules.bundle.pack, rules.keys.generate_key),
offers for them, scapy pcaps, and builtin-engine Agents whose data dir and
vendor key are the test's own.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap

from agent.config import AgentConfig
from agent.daemon import Agent
from agent.engines.base import SourceSpec
from rules.bundle import generate_key, pack, save_public_key
from uplink.schema import RuleOverride, RulesetOffer

RULE_ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
RULE_BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
RULE_GAMMA = 'alert udp any any -> any 9999 (msg:"gamma"; content:"GAMMA"; sid:3000003; rev:1;)'
CLASSIFICATION = "config classification: misc-activity,Misc activity,3\n"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@dataclass
class BundleServer:
    """What the loopback server serves and saw."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    full_downloads: dict[str, int] = field(default_factory=dict)
    not_modified: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    force_status: int | None = None  # answer every GET with this status instead
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, name: str, data: bytes) -> str:
        """Serve `data` at /bundles/<name>; returns the path (relative URL)."""
        self.files[f"/bundles/{name}"] = data
        return f"/bundles/{name}"

    def downloads(self, path: str) -> int:
        return self.full_downloads.get(path, 0)


def _handler(state: BundleServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append({"path": self.path, **dict(self.headers.items())})
                data = state.files.get(self.path)
                forced = state.force_status
            if forced is not None:
                self.send_response(forced)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if data is None:
                self.send_error(404)
                return
            etag = f'"{hashlib.sha256(data).hexdigest()}"'
            wanted = [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]
            if etag in wanted:
                with state.lock:
                    state.not_modified += 1
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            with state.lock:
                state.full_downloads[self.path] = state.full_downloads.get(self.path, 0) + 1
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/api/v1/heartbeat":
                self.send_error(503)  # alert batches: not this server's business
                return
            with state.lock:
                state.heartbeats.append(json.loads(body))
                answer = state.answer or {"server_time": NOW.isoformat(), "next_interval": 60}
            raw = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


@pytest.fixture
def server() -> Iterator[BundleServer]:
    state = BundleServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


class Kit:
    """Bundles, offers, pcaps and agents for one test."""

    def __init__(self, tmp: Path, server: BundleServer) -> None:
        self.tmp, self.server = tmp, server
        self.key = generate_key()
        self.pub = tmp / "vendor.pub"
        save_public_key(self.key.public_key(), self.pub)
        self._n = 0

    def bundle(self, version: str, rules: list[str], *, key: Any = None,
               threshold: str | None = None, name: str | None = None) -> Path:
        """A signed bundle file holding `rules` (one per line)."""
        self._n += 1
        src = self.tmp / f"src{self._n}"
        src.mkdir()
        (src / "yamori.rules").write_text("\n".join(rules) + "\n")
        (src / "classification.config").write_text(CLASSIFICATION)
        if threshold is not None:
            (src / "threshold.config").write_text(threshold)
        out = self.tmp / (name or f"bundle-{version}-{self._n}.tar.gz")
        pack(src, out, version, key or self.key, now=NOW)
        return out

    def offer(self, bundle: Path, version: str, *, overrides: list[RuleOverride] | None = None,
              rollback: bool = False, publish: bool = True, **extra: Any) -> RulesetOffer:
        """An offer naming `bundle`, served by the loopback server unless publish=False."""
        data = bundle.read_bytes()
        path = self.server.serve(bundle.name, data) if publish else f"/bundles/{bundle.name}"
        fields: dict[str, Any] = {"version": version, "channel": "stable", "url": path,
                                  "sha256": hashlib.sha256(data).hexdigest(),
                                  "size": len(data), "overrides": overrides or [],
                                  "rollback": rollback}
        fields.update(extra)
        return RulesetOffer.model_validate(fields)

    def pcap(self, packets: list[tuple[str, bytes]], name: str = "traffic.pcap") -> Path:
        """UDP packets to port 9999: (source address, payload) each, 10 ms apart."""
        frames = []
        for i, (src, payload) in enumerate(packets):
            frame = Ether() / IP(src=src, dst="10.9.9.9") / UDP(sport=40000 + i, dport=9999) \
                / payload
            frame.time = NOW.timestamp() + i * 0.01
            frames.append(frame)
        path = self.tmp / name
        wrpcap(str(path), frames)
        return path

    def config(self, pcap: Path, *, engine: str = "builtin", keys: list[Path] | None = None,
               **rules: Any) -> AgentConfig:
        return AgentConfig.model_validate({
            "sensor": {"sensor_id": "pi-test", "data_dir": str(self.tmp / "agent")},
            "capture": {"pcap": str(pcap)},
            "engine": {"engine": engine},
            # The bundle server is the collector here (bundle URLs are relative to it).
            "uplink": {"url": self.server.url, "token": "sensor-token"},
            "metrics": {"enabled": False},
            "rules": {"vendor_keys": [str(k) for k in (keys if keys is not None
                                                       else [self.pub])], **rules},
        })

    def agent(self, pcap: Path, **kwargs: Any) -> Agent:
        return Agent(self.config(pcap, **kwargs))


@pytest.fixture
def kit(tmp_path: Path, server: BundleServer) -> Kit:
    return Kit(tmp_path, server)


def sids(agent: Agent, pcap: Path) -> list[int]:
    """The sids the agent's in-process engine raises on `pcap`, in order."""
    assert agent.engine is not None
    return [r["alert"]["signature_id"] for r in agent.engine.run(SourceSpec(pcap=pcap))]


@pytest.fixture
def alerts_of():  # type: ignore[no-untyped-def]
    return sids
