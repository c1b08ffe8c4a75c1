"""Benchmark: alerts/s through queue + uplink + collector (SQLite), and raise-to-store delay.

    .venv/bin/python bench/uplink.py --rate 6000 --seconds 20 --backlog 200000

Two phases against a real collector process on 127.0.0.1 (`yamori collector
serve`, SQLite): steady (a producer raises alerts at --rate through the
GroupCommitter into the agent's queue while the Shipper uplinks them) and
backlog recovery (--backlog alerts already queued, as after an outage, then
drained). Each alert carries its raise time; the collector's `received_at`
gives the store time, so the delay is measured per alert, p50/p99. Not run
in CI. Everything stays on loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.buffer.group import GroupCommitter  # noqa: E402
from agent.buffer.store import AlertQueue  # noqa: E402
from uplink.client import UplinkClient  # noqa: E402
from uplink.faults import CollectorProcess  # noqa: E402
from uplink.ids import new_alert_id  # noqa: E402
from uplink.shipper import Shipper  # noqa: E402

log = logging.getLogger("bench.uplink")


def alert(i: int, sensor_id: str) -> dict[str, object]:
    """A realistic EVE alert (~700 bytes of JSON) stamped with its raise time."""
    return {
        "alert_id": new_alert_id(), "sensor_id": sensor_id, "raised_at": time.time(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(), "flow_id": 1_000_000 + i,
        "event_type": "alert", "src_ip": "192.168.1.23", "src_port": 40000 + i % 20000,
        "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP", "app_proto": "tls",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 2019401, "rev": 3,
                  "signature": "ET POLICY Suspicious beacon to known C2 infrastructure",
                  "category": "A Network Trojan was detected", "severity": 1 + i % 3,
                  "metadata": {"created_at": ["2024_01_01"], "signature_severity": ["Major"]}},
        "tls": {"sni": "c2.example", "version": "TLS 1.2", "ja3": {"hash": "a" * 32}},
        "flow": {"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 517,
                 "bytes_toclient": 3000, "start": "2024-05-01T02:13:00.000000+0900"},
    }


def delays(db: Path, sensor_id: str) -> list[float]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT received_at, json_extract(eve, '$.raised_at') FROM alerts "
                           "WHERE sensor_id = ?", (sensor_id,)).fetchall()
    finally:
        con.close()
    out = []
    for received, raised in rows:
        when = dt.datetime.fromisoformat(received)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        out.append(when.timestamp() - float(raised))
    return out


def summary(name: str, count: int, seconds: float, ds: list[float]) -> str:
    head = f"{name}: {count} alerts stored in {seconds:.1f}s = {count / seconds:,.0f} alerts/s"
    if not ds:
        return head
    ds = sorted(ds)
    p50 = statistics.median(ds)
    p99 = ds[max(0, int(len(ds) * 0.99) - 1)]
    return f"{head}; raise-to-store p50 {p50:.3f}s p99 {p99:.3f}s"


def run_shipper(queue: AlertQueue, client: UplinkClient, sensor_id: str, batch: int,
                stop: threading.Event) -> tuple[Shipper, threading.Thread]:
    shipper = Shipper(queue, client, sensor_id, max_batch=batch, max_batch_bytes=4_000_000,
                      poll_interval=0.05)
    thread = threading.Thread(target=shipper.run, args=(stop,), daemon=True, name="shipper")
    thread.start()
    return shipper, thread


def steady(work: Path, col: CollectorProcess, token: str, rate: int, seconds: float,
           batch: int) -> str:
    sensor = "bench-steady"
    stop = threading.Event()
    with AlertQueue(work / "steady.sqlite", max_bytes=None) as queue:
        client = UplinkClient(col.url, token)
        shipper, thread = run_shipper(queue, client, sensor, batch, stop)
        group = GroupCommitter(queue, on_commit=lambda _n: shipper.notify())
        total = int(rate * seconds)
        start = time.monotonic()
        for i in range(total):
            # Pace the producer: raise alert i at start + i/rate.
            ahead = start + i / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
            group.add(alert(i, sensor))
        group.close()
        while queue.depth() and time.monotonic() - start < seconds * 10:
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        stop.set()
        thread.join()
        client.close()
    return summary(f"steady @{rate}/s", total, elapsed, delays(col.db_path, sensor))


def backlog(work: Path, col: CollectorProcess, token: str, size: int, batch: int) -> str:
    sensor = "bench-backlog"
    stop = threading.Event()
    with AlertQueue(work / "backlog.sqlite", max_bytes=None) as queue:
        chunk = 5000
        for base in range(0, size, chunk):
            queue.append([alert(i, sensor) for i in range(base, min(size, base + chunk))])
        client = UplinkClient(col.url, token)
        start = time.monotonic()
        _, thread = run_shipper(queue, client, sensor, batch, stop)
        while queue.depth():
            time.sleep(0.05)
        elapsed = time.monotonic() - start
        stop.set()
        thread.join()
        client.close()
    return summary(f"backlog of {size} drained", size, elapsed, [])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=6000, help="steady alerts/s raised")
    parser.add_argument("--seconds", type=float, default=20, help="steady phase length")
    parser.add_argument("--backlog", type=int, default=100_000, help="queued alerts to drain")
    parser.add_argument("--batch", type=int, default=1000, help="alerts per uplink batch")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="yamori-bench-") as tmp:
        work = Path(tmp)
        col = CollectorProcess(work / "collector")
        token_a, token_b = col.enroll("bench-steady"), col.enroll("bench-backlog")
        col.start()
        try:
            lines = [steady(work, col, token_a, args.rate, args.seconds, args.batch),
                     backlog(work, col, token_b, args.backlog, args.batch)]
        finally:
            col.stop()
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
