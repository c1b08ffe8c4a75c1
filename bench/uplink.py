"""Benchmark: alerts/s through queue + uplink + collector (SQLite), and raise-to-store delay.

    .venv/bin/python bench/uplink.py --rate 5000 --seconds 30 --backlog 200000

Three processes, as deployed: this one (orchestrates and measures only), an
agent-side process (`--role agent`: the agent's queue on disk, a producer
thread standing in for the engine, the GroupCommitter and the Shipper
thread) and a real collector process (`yamori collector serve`, SQLite),
all on 127.0.0.1. Two phases: steady (the producer raises alerts at --rate
for --seconds while the Shipper uplinks them) and backlog recovery
(--backlog alerts already queued, as after an outage, drained once the
agent starts against a running collector). Each alert carries its raise
time (`raised_at`, an extra EVE field); the collector's `received_at` gives
its store time, so the delay is measured per alert (p50/p99). Not run in
CI. Prints the machine's load average with every figure: other jobs on the
same cores skew them.

`--gc-threshold 50000,20,100` runs the agent and collector processes with
that `gc.set_threshold` (through a sitecustomize.py on PYTHONPATH), to
measure what tuning the cyclic GC of both daemons is worth: parsing a batch
allocates tens of thousands of objects, and each default-threshold (700)
collection walks them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sqlite3
import statistics
import subprocess
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
FILL_CHUNK = 20_000
SITECUSTOMIZE = """import gc, os
gc.set_threshold(*map(int, os.environ["YAMORI_BENCH_GC"].split(",")))
"""


def alert(i: int, sensor_id: str) -> dict[str, object]:
    """A realistic EVE alert (~790 bytes of JSON) stamped with its raise time."""
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


# -- the agent-side process ------------------------------------------------------------

def start_shipper(queue: AlertQueue, args: argparse.Namespace,
                  stop: threading.Event) -> tuple[Shipper, UplinkClient, threading.Thread]:
    client = UplinkClient(args.url, args.token)
    shipper = Shipper(queue, client, args.sensor, max_batch=args.batch,
                      max_batch_bytes=args.batch_bytes, poll_interval=0.05,
                      backlog_factor=args.backlog_factor, pipeline=not args.no_pipeline)
    thread = threading.Thread(target=shipper.run, args=(stop,), daemon=True, name="shipper")
    thread.start()
    return shipper, client, thread


def produce(group: GroupCommitter, sensor: str, rate: int, seconds: float) -> int:
    """Raise alert i at start + i/rate, as an engine would; returns how many."""
    total = int(rate * seconds)
    start = time.monotonic()
    for i in range(total):
        ahead = start + i / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        group.add(alert(i, sensor))
    return total


def wait_empty(queue: AlertQueue, limit: float) -> None:
    deadline = time.monotonic() + limit
    while queue.depth() and time.monotonic() < deadline:
        time.sleep(0.02)


def agent_main(args: argparse.Namespace) -> int:
    """`--role agent`: steady (rate > 0) or drain what is queued; prints a JSON summary."""
    stop = threading.Event()
    with AlertQueue(Path(args.queue), max_bytes=None) as queue:
        queued = queue.depth()
        start = time.monotonic()
        shipper, client, thread = start_shipper(queue, args, stop)
        produced = 0
        if args.rate > 0:
            group = GroupCommitter(queue, max_records=args.group, max_delay=args.group_delay,
                                   on_commit=lambda _n: shipper.notify())
            produced = produce(group, args.sensor, args.rate, args.seconds)
            group.close()
        wait_empty(queue, args.drain_limit)
        elapsed = time.monotonic() - start
        left = queue.depth()
        stop.set()
        thread.join()
        client.close()
    sys.stdout.write(json.dumps({"produced": produced, "queued": queued, "left": left,
                                 "seconds": elapsed}) + "\n")
    return 0


# -- the orchestrator ------------------------------------------------------------------

def fill(path: Path, sensor: str, size: int) -> None:
    """Queue `size` alerts, as a 10-minute outage would leave them (not timed)."""
    with AlertQueue(path, max_bytes=None) as queue:
        for base in range(0, size, FILL_CHUNK):
            queue.append([alert(i, sensor) for i in range(base, min(size, base + FILL_CHUNK))])


def run_agent(args: argparse.Namespace, queue: Path, url: str, token: str, sensor: str,
              rate: int) -> dict[str, float]:
    # --name=value: a token may start with '-', which argparse would take for an option.
    cmd = [sys.executable, __file__, "--role=agent", f"--queue={queue}", f"--url={url}",
           f"--token={token}", f"--sensor={sensor}", "--rate", str(rate),
           "--seconds", str(args.seconds), "--batch", str(args.batch),
           "--batch-bytes", str(args.batch_bytes), "--backlog-factor", str(args.backlog_factor),
           "--group", str(args.group), "--group-delay", str(args.group_delay),
           "--drain-limit", str(args.drain_limit), *(["--no-pipeline"] * args.no_pipeline)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


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
    load = "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    head = f"{name}: {count} alerts stored in {seconds:.1f}s = {count / seconds:,.0f} alerts/s"
    if not ds:
        return f"{head} ({load})"
    ds = sorted(ds)
    p99 = ds[max(0, int(len(ds) * 0.99) - 1)]
    return (f"{head}; raise-to-store p50 {statistics.median(ds):.3f}s p99 {p99:.3f}s "
            f"max {ds[-1]:.3f}s; stored {len(ds)} ({load})")


def steady(args: argparse.Namespace, work: Path, col: CollectorProcess, token: str) -> str:
    sensor = "bench-steady"
    got = run_agent(args, work / "steady.sqlite", col.url, token, sensor, args.rate)
    ds = delays(col.db_path, sensor)
    return summary(f"steady @{args.rate}/s for {args.seconds:g}s", int(got["produced"]),
                   got["seconds"], ds)


def backlog(args: argparse.Namespace, work: Path, col: CollectorProcess, token: str) -> str:
    sensor = "bench-backlog"
    began = time.monotonic()
    fill(work / "backlog.sqlite", sensor, args.backlog)
    log.warning("queued %d alerts in %.1fs", args.backlog, time.monotonic() - began)
    got = run_agent(args, work / "backlog.sqlite", col.url, token, sensor, 0)
    stored = len(delays(col.db_path, sensor))
    return summary(f"backlog of {int(got['queued'])} drained (left {int(got['left'])})",
                   stored, got["seconds"], [])


def tune_children_gc(work: Path, threshold: str) -> None:
    """Make every child Python process start with gc.set_threshold(threshold)."""
    site = work / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    os.environ["YAMORI_BENCH_GC"] = threshold
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)


def main() -> int:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.role == "agent":
        return agent_main(args)
    with tempfile.TemporaryDirectory(prefix="yamori-bench-") as tmp:
        work = Path(tmp)
        if args.gc_threshold:
            tune_children_gc(work, args.gc_threshold)
        col = CollectorProcess(work / "collector")
        token_a, token_b = col.enroll("bench-steady"), col.enroll("bench-backlog")
        col.start()
        try:
            lines = []
            if args.seconds > 0:
                lines.append(steady(args, work, col, token_a))
                sys.stdout.write(lines[-1] + "\n")
            if args.backlog > 0:
                lines.append(backlog(args, work, col, token_b))
                sys.stdout.write(lines[-1] + "\n")
        finally:
            col.stop()
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rate", type=int, default=5000, help="steady alerts/s raised")
    parser.add_argument("--seconds", type=float, default=30, help="steady phase length (0: skip)")
    parser.add_argument("--backlog", type=int, default=100_000, help="queued alerts to drain")
    parser.add_argument("--batch", type=int, default=1000, help="alerts per uplink batch")
    parser.add_argument("--batch-bytes", type=int, default=1_000_000, help="bytes per batch")
    parser.add_argument("--backlog-factor", type=int, default=4,
                        help="batch growth while the queue is deep")
    parser.add_argument("--group", type=int, default=1000, help="GroupCommitter max_records")
    parser.add_argument("--group-delay", type=float, default=0.25,
                        help="GroupCommitter max_delay (s)")
    parser.add_argument("--drain-limit", type=float, default=1800,
                        help="seconds the agent waits for its queue to empty")
    parser.add_argument("--no-pipeline", action="store_true",
                        help="Shipper(pipeline=False): no batch prepared while one is sent")
    parser.add_argument("--gc-threshold", default="",
                        help="e.g. 50000,20,100: gc.set_threshold in agent and collector")
    # Internal: how the orchestrator starts the agent-side process.
    parser.add_argument("--role", choices=("bench", "agent"), default="bench",
                        help=argparse.SUPPRESS)
    for name in ("--queue", "--url", "--token", "--sensor"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    raise SystemExit(main())
