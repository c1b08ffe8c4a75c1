"""Helpers for store-and-forward fault tests and the uplink benchmark: real processes, loopback.

Owns: a pcap in which every packet raises exactly one alert (so the alerts
the engine raised are known from the packets: src_port = 10000 + index), a
real collector process (`yamori collector serve`) that can be stopped and
started again on the same port and database, a real agent process
(`yamori agent run`), reading back what the collector stored, and
`FaultyProxy`: a TCP proxy on 127.0.0.1 that, per connection, passes,
drops, stalls, or forwards the request and then cuts the connection before
the collector's answer reaches the agent. Lives in the package (like
uplink/testing.py) so tests and bench/ can import it under pytest's importlib
mode. No production code imports it; nothing here leaves loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

BASE_PORT = 10000
FAULT_SID = 1990001
LOOPBACK = "127.0.0.1"


# -- traffic and rules ---------------------------------------------------------------------

def fault_rules(path: Path) -> Path:
    """Rules: one per severity 1..4, each matching the packets written by write_alert_pcap."""
    lines = [
        f'alert udp any any -> any {9990 + sev} (msg:"yamori fault test sev {sev}"; '
        f'content:"YAMORI-FAULT"; priority:{sev}; sid:{FAULT_SID + sev}; rev:1;)'
        for sev in (1, 2, 3, 4)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_alert_pcap(path: Path, count: int, severities: Iterable[int] = (3,)) -> Path:
    """`count` UDP packets, each raising exactly one alert; packet i has src_port 10000+i.

    Severities cycle through `severities` (the dest port selects the rule).
    Written with struct, not scapy: scapy takes seconds per thousand packets.
    """
    sevs = list(severities)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # pcap, LINKTYPE_ETHERNET
    for i in range(count):
        frame = _frame(BASE_PORT + i, 9990 + sevs[i % len(sevs)], f"YAMORI-FAULT {i}".encode())
        ts = 1_700_000_000 * 1_000_000 + i * 1000
        out.append(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))
    return path


def _frame(sport: int, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # checksum 0: none
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 10, 0, 5]), bytes([10, 10, 0, 9]))
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + ip + udp


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return int(~total & 0xFFFF)


# -- processes -----------------------------------------------------------------------------

def yamori_command() -> list[str]:
    """How to run the `yamori` CLI with this interpreter."""
    return [sys.executable, "-m", "yamori.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class CollectorProcess:
    """`yamori collector serve` on 127.0.0.1:port over a SQLite file; restartable."""

    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def db_path(self) -> Path:
        return self.workdir / "collector.sqlite"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def config_path(self) -> Path:
        path = self.workdir / "collector.toml"
        if not path.exists():
            self.workdir.mkdir(parents=True, exist_ok=True)
            path.write_text(f'listen = "{LOOPBACK}"\nport = {self.port}\n'
                            f'database_url = "sqlite:///{self.db_path}"\nlog_level = "WARNING"\n')
        return path

    def enroll(self, sensor_id: str, tenant: str = "fault-test") -> str:
        """Enroll a sensor straight in the database (the CLI costs seconds); returns its token."""
        from collector.db import open_database
        from collector.repo.sensors import create_sensor

        self.config_path()
        database = open_database(f"sqlite:///{self.db_path}")
        try:
            with database.session() as session:
                return create_sensor(session, sensor_id, tenant)
        finally:
            database.dispose()

    def start(self, timeout: float = 20.0) -> None:
        log = (self.workdir / "collector.log").open("ab")
        self.proc = subprocess.Popen(
            [*yamori_command(), "collector", "serve", "--config", str(self.config_path())],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"collector exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("collector did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stored_src_ports(self, sensor_id: str) -> list[int]:
        """src_port of every alert stored for `sensor_id` (one per row: duplicates show)."""
        return [p for (p,) in self._query(
            "SELECT src_port FROM alerts WHERE sensor_id = ? ORDER BY id", (sensor_id,))]

    def stored_alert_ids(self, sensor_id: str) -> list[str]:
        return [a for (a,) in self._query(
            "SELECT alert_id FROM alerts WHERE sensor_id = ? ORDER BY id", (sensor_id,))]

    def stored_severities(self, sensor_id: str) -> list[int]:
        return [s for (s,) in self._query(
            "SELECT severity FROM alerts WHERE sensor_id = ? ORDER BY id", (sensor_id,))]

    def duplicates_answered(self, sensor_id: str) -> int:
        rows = self._query("SELECT COALESCE(SUM(duplicates), 0) FROM batches WHERE sensor_id = ?",
                           (sensor_id,))
        return int(rows[0][0])

    def reported_counters(self, sensor_id: str) -> str | None:
        rows = self._query("SELECT counters FROM sensor_counters WHERE sensor_id = ?",
                           (sensor_id,))
        return rows[0][0] if rows else None

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(self.db_path, timeout=30)
        try:
            return list(con.execute(sql, args))
        finally:
            con.close()


def agent_config(path: Path, *, data_dir: Path, pcap: Path, rules: Path, url: str, token: str,
                 sensor_id: str = "fault-1", batch_max: int = 100,
                 timeout: float = 2.0) -> Path:
    """An agent TOML file running the builtin engine on `pcap`."""
    path.write_text(
        f'[sensor]\nsensor_id = "{sensor_id}"\ndata_dir = "{data_dir}"\n'
        f'[capture]\npcap = "{pcap}"\n'
        f'[engine]\nengine = "builtin"\nrules = ["{rules}"]\n'
        f'[uplink]\nurl = "{url}"\ntoken = "{token}"\nbatch_max = {batch_max}\n'
        f"timeout = {timeout}\n")
    return path


def start_agent(config: Path, drain_timeout: float, log: Path,
                pcap: Path | None = None) -> subprocess.Popen[bytes]:
    """`yamori agent run --config … --drain-timeout …` as a child process."""
    cmd = [*yamori_command(), "agent", "run", "--config", str(config),
           "--drain-timeout", str(drain_timeout)]
    if pcap is not None:
        cmd += ["--pcap", str(pcap)]
    return subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def sigkill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def queue_counters(data_dir: Path) -> dict[str, int]:
    """The agent queue's persistent counters, read straight from its file."""
    con = sqlite3.connect(data_dir / "queue.sqlite", timeout=30)
    try:
        return {str(n): int(v) for n, v in con.execute("SELECT name, value FROM counters")}
    finally:
        con.close()


def queue_alert_ids(data_dir: Path) -> list[str]:
    con = sqlite3.connect(data_dir / "queue.sqlite", timeout=30)
    try:
        return [str(a) for (a,) in con.execute("SELECT alert_id FROM queue ORDER BY seq")]
    finally:
        con.close()


# -- the misbehaving proxy -----------------------------------------------------------------

PASS, DROP, STALL, CUT = "pass", "drop", "stall", "cut"


class FaultyProxy:
    """An HTTP-aware TCP proxy on 127.0.0.1; request k gets `plan[k % len(plan)]`.

    Faults are per request, not per connection, because the agent reuses its
    connection. pass: forward the request and the answer. drop: reset the
    connection without forwarding. stall: read the request, answer nothing
    for `stall_seconds`, close. cut: forward the request, wait for the
    collector's complete answer (so the batch IS stored), then close without
    passing it on: the agent must retry a batch that was stored.
    """

    def __init__(self, upstream_port: int, plan: list[str], stall_seconds: float = 3.0) -> None:
        self.upstream_port = upstream_port
        self.plan = plan
        self.stall_seconds = stall_seconds
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._sock = socket.create_server((LOOPBACK, 0))
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True, name="faulty-proxy")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _next_mode(self) -> str:
        with self._lock:
            mode = self.plan[len(self.seen) % len(self.plan)]
            self.seen.append(mode)
            return mode

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(30)
            while request := _read_http_message(client):
                mode = self._next_mode()
                if mode in (DROP, STALL):
                    if mode == STALL:
                        self._stop.wait(self.stall_seconds)
                    # SO_LINGER 0: close sends RST, the harshest drop a NAT box does.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if upstream is None:
                    upstream = socket.create_connection((LOOPBACK, self.upstream_port), timeout=30)
                upstream.sendall(request)
                answer = _read_http_message(upstream)
                if mode == CUT or not answer:
                    return
                client.sendall(answer)
        except OSError:
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()


def _read_http_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message with a Content-Length body (what requests and uvicorn send)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
