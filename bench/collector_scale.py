"""Benchmark: many sensors against 1 and 2 collector processes, on PostgreSQL and SQLite.

    .venv/bin/python bench/collector_scale.py [--backends postgresql,sqlite]
        [--preload 10000000] [--sqlite-preload 1000000] [--duration 20]
        [--loaders 2] [--ingest-sensors 64] [--batch-size 500]
        [--heartbeat-sensors 2000] [--heartbeat-interval 60] [--runs 20]

For each backend: a fresh store (PostgreSQL: a schema of its own on
127.0.0.1:5432/test, dropped afterwards; SQLite: a temporary file) brought
to the newest schema by the collector itself, the sensors enrolled in bulk,
and N alerts preloaded in SQL (generate_series / a recursive CTE: no Python
rows) spread over the current month. Then, for 1 and 2 processes
(`yamori collector serve --workers P` on one loopback port), `--loaders`
load-generator processes (multiprocessing) each drive their share of the
ingest sensors — real AlertBatches sent by the agent's own UplinkClient
(gzip level 1), one thread per sensor, back to back — and of the
heartbeating sensors (each once per `--heartbeat-interval`) for
`--duration` seconds. Printed per run: ingest alerts/s, heartbeat
requests/s, p50/p95 ingest latency; then feed first-page and filtered-query
p50/p95 through the HTTP API (the filters of bench/console_feed.py) and one
tenant's monthly report figures (collector/report: monthly_figures); finally
the 2-process figures as ratios of the 1-process run. The load generator and
the servers share this machine's cores: the load average is printed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from collector.config import CollectorConfig  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.fleet.testing import heartbeat_body  # noqa: E402
from collector.models import Sensor  # noqa: E402
from collector.repo.sensors import new_credential, token_digest  # noqa: E402
from collector.report.figures import ReportSettings, monthly_figures  # noqa: E402
from uplink.client import UplinkClient  # noqa: E402
from uplink.schema import HEARTBEAT_PATH, AlertBatch  # noqa: E402

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ADMIN_TOKEN = "bench-scale-admin-token"
TENANTS = 300
BEAT_THREADS = 4
SIDS = [2019401 + n for n in range(200)]
CATEGORIES = ["A Network Trojan was detected", "Potential Corporate Privacy Violation",
              "Misc activity", "Attempted Information Leak", "Web Application Attack"]


def log(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the store ------------------------------------------------------------------------------

@dataclass
class Store:
    """A prepared database and the sensors' tokens."""

    url: str
    ingest: list[tuple[str, str]]  # (sensor_id, token)
    beating: list[tuple[str, str]]
    cleanup: Any = None
    preload_seconds: float = 0.0


def prepare(backend: str, preload: int, args: argparse.Namespace, workdir: Path) -> Store:
    if backend == "postgresql":
        schema = f"bench_scale_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_BASE)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_BASE}?options=-csearch_path%3D{schema}"

        def drop() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        cleanup = drop
    else:
        url = f"sqlite:///{workdir / 'collector.sqlite'}"
        cleanup = None
    database = open_database(url)  # the collector's own migrations
    ingest = enroll(database, "ingest", args.ingest_sensors)
    beating = enroll(database, "beat", args.heartbeat_sensors)
    started = time.monotonic()
    with database.engine.begin() as conn:
        conn.execute(text(preload_sql(backend)),
                     {**preload_params(preload), "sensors": args.ingest_sensors})
    if backend == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    store = Store(url, ingest, beating, cleanup, time.monotonic() - started)
    database.dispose()
    return store


def enroll(database: Any, prefix: str, count: int) -> list[tuple[str, str]]:
    tokens = [(f"{prefix}-{n:05d}", new_credential()) for n in range(count)]
    now = datetime.now(UTC)
    rows = [{"sensor_id": sid, "tenant": f"tenant-{n % TENANTS:03d}", "name": sid,
             "token_sha256": token_digest(token), "created_at": now}
            for n, (sid, token) in enumerate(tokens)]
    with database.engine.begin() as conn:
        conn.execute(insert(Sensor), rows)
    return tokens


def preload_params(count: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return {"n": count, "t0": start.timestamp(), "span": max(1.0, (now - start).total_seconds()
                                                             - 3600)}


def preload_sql(backend: str) -> str:
    """N alerts from the ingest sensors, in SQL; the same columns ingest fills."""
    if backend == "postgresql":
        series = "FROM generate_series(1, :n) AS g(i)"
        ts = "to_timestamp(:t0 + (i::float8 / :n) * :span)"
        epoch = "(:t0 + (i::float8 / :n) * :span)"
        cat = "'c' || (i % 5)::text"
        sensor = "lpad((i % :sensors)::text, 5, '0')"
        tenant = "lpad((i % :sensors % 300)::text, 3, '0')"
    else:
        series = ("FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
                  "WHERE i < :n) SELECT i FROM s)")
        ts = "datetime(:t0 + (i * 1.0 / :n) * :span, 'unixepoch')"
        epoch = "(:t0 + (i * 1.0 / :n) * :span)"
        cat = "'c' || (i % 5)"
        sensor = "substr('0000' || (i % :sensors), -5, 5)"
        tenant = "substr('00' || (i % :sensors % 300), -3, 3)"
    return f"""
INSERT INTO alerts (alert_id, sensor_id, tenant, received_at, timestamp, ts_epoch,
    signature_id, gid, rev, signature, category, severity, src_ip, src_port, dest_ip,
    dest_port, proto, app_proto, flow_id, eve)
SELECT 'pre-' || i, 'ingest-' || {sensor}, 'tenant-' || {tenant}, {ts}, 'pre', {epoch},
    2019401 + (i % 200), 1, 1, 'ET POLICY preloaded ' || (i % 200), {cat},
    1 + (i % 3), '10.' || (i % 250) || '.0.' || (i % 7), 40000,
    '203.0.113.' || (i % 250), 443, 'TCP', 'tls', i, '{{}}'
{series}"""


# --- the servers ----------------------------------------------------------------------------

@dataclass
class Server:
    popen: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def start_server(url: str, processes: int, workdir: Path) -> Server:
    token_file = workdir / "admin.token"
    token_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")
    config = workdir / "collector.toml"
    config.write_text(f'database_url = "{url}"\nlog_level = "WARNING"\n'
                      f'admin_token_file = "{token_file}"\n', encoding="utf-8")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yamori = Path(sys.executable).with_name("yamori")
    popen = subprocess.Popen([str(yamori), "collector", "serve", "--config", str(config),
                              "--port", str(port), "--workers", str(processes)],
                             start_new_session=True)
    server = Server(popen, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                time.sleep(1.0 if processes == 1 else 3.0)  # every worker up
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("collector did not start")


# --- the load -------------------------------------------------------------------------------

def make_records(rng: random.Random, count: int) -> list[dict[str, Any]]:
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    return [{"alert_id": uuid.uuid4().hex, "timestamp": ts, "flow_id": rng.getrandbits(40),
             "event_type": "alert", "src_ip": f"192.168.{rng.randrange(4)}.{rng.randrange(250)}",
             "src_port": rng.randrange(1024, 65535), "dest_ip": f"203.0.113.{rng.randrange(250)}",
             "dest_port": 443, "proto": "TCP", "app_proto": "tls",
             "alert": {"action": "allowed", "gid": 1, "signature_id": rng.choice(SIDS),
                       "rev": 1, "signature": "ET POLICY live beacon",
                       "category": rng.choice(CATEGORIES), "severity": rng.randint(1, 3)},
             "tls": {"sni": "c2.example"}}
            for _ in range(count)]


def ingest_thread(url: str, sensor: tuple[str, str], stop_at: float, batch_size: int,
                  out: dict[str, Any]) -> None:
    client = UplinkClient(url, sensor[1], timeout=60)
    rng = random.Random(sensor[0])
    while time.monotonic() < stop_at:
        batch = AlertBatch.model_validate({
            "schema": 1, "batch_id": uuid.uuid4().hex, "sensor_id": sensor[0],
            "sent_at": datetime.now(UTC).isoformat(), "alerts": make_records(rng, batch_size)})
        started = time.monotonic()
        try:
            result = client.send(batch)
        except Exception:  # counted, the run goes on (like an agent retrying)
            out["errors"] += 1
            continue
        out["latencies"].append(time.monotonic() - started)
        out["alerts"] += result.stored
    client.close()


def heartbeat_thread(url: str, sensors: list[tuple[str, str]], interval: float,
                     stop_at: float, out: dict[str, Any]) -> None:
    session = requests.Session()
    gap = interval / max(1, len(sensors))
    n, next_at = 0, time.monotonic()
    while time.monotonic() < stop_at:
        sid, token = sensors[n % len(sensors)]
        try:
            answer = session.post(url + HEARTBEAT_PATH, json=heartbeat_body(sid), timeout=30,
                                  headers={"Authorization": f"Bearer {token}"})
            out["beats" if answer.ok else "beat_errors"] += 1
        except requests.RequestException:
            out["beat_errors"] += 1
        n += 1
        next_at += gap
        time.sleep(max(0.0, next_at - time.monotonic()))


def loader(url: str, ingest: list[tuple[str, str]], beating: list[tuple[str, str]],
           duration: float, batch_size: int, interval: float, queue: Any) -> None:
    """One load-generator process: a thread per ingest sensor, one for its heartbeats."""
    out: dict[str, Any] = {"alerts": 0, "errors": 0, "latencies": [], "beats": 0,
                           "beat_errors": 0}
    stop_at = time.monotonic() + duration
    threads = [threading.Thread(target=ingest_thread, args=(url, s, stop_at, batch_size, out))
               for s in ingest]
    # A few heartbeat threads: one slow answer must not hold back the others' schedule.
    for k in range(BEAT_THREADS):
        if beating[k::BEAT_THREADS]:
            threads.append(threading.Thread(
                target=heartbeat_thread,
                args=(url, beating[k::BEAT_THREADS], interval, stop_at, out)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(out)


@dataclass
class LoadResult:
    alerts_per_s: float
    beats_per_s: float
    p50_ms: float
    p95_ms: float
    errors: int
    beat_errors: int
    batches: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def run_load(url: str, store: Store, args: argparse.Namespace) -> LoadResult:
    queue: Any = multiprocessing.get_context("spawn").Queue()
    procs = []
    for k in range(args.loaders):
        proc = multiprocessing.get_context("spawn").Process(
            target=loader, args=(url, store.ingest[k::args.loaders],
                                 store.beating[k::args.loaders], args.duration,
                                 args.batch_size, args.heartbeat_interval, queue))
        proc.start()
        procs.append(proc)
    started = time.monotonic()
    outs = [queue.get(timeout=args.duration + 300) for _ in procs]
    elapsed = time.monotonic() - started
    for proc in procs:
        proc.join()
    latencies = sorted(x for out in outs for x in out["latencies"])
    return LoadResult(
        alerts_per_s=sum(o["alerts"] for o in outs) / elapsed,
        beats_per_s=sum(o["beats"] for o in outs) / elapsed,
        p50_ms=1000 * percentile(latencies, 50), p95_ms=1000 * percentile(latencies, 95),
        errors=sum(o["errors"] for o in outs), beat_errors=sum(o["beat_errors"] for o in outs),
        batches=len(latencies))


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


# --- the reads ------------------------------------------------------------------------------

def feed_cases(store: Store) -> list[tuple[str, Any]]:
    console_feed = load_console_feed()
    FILTERS, Pools = console_feed.FILTERS, console_feed.Pools  # noqa: N806

    now = time.time()
    pools = Pools(tenants=[f"tenant-{n:03d}" for n in range(min(len(store.ingest), TENANTS))],
                  sensors=[s for s, _ in store.ingest], categories=["c0", "c1", "c2"],
                  sids=SIDS, words=["beacon", "preloaded", "POLICY"],
                  sources=[f"10.{n}.0.{n % 7}" for n in range(50)],
                  destinations=[f"203.0.113.{n}" for n in range(50)],
                  first_ts=float(preload_params(1)["t0"]), last_ts=now)
    cases: list[tuple[str, Any]] = [("feed first page", lambda r: {})]
    cases += [(f"feed {name}", lambda r, f=params: f(r, pools)) for name, params in FILTERS]
    return cases


def load_console_feed() -> Any:
    """bench/console_feed.py as a module (bench/ is not a package; bench/uplink.py would
    shadow the uplink package if bench/ were put on sys.path)."""
    path = Path(__file__).resolve().with_name("console_feed.py")
    spec = importlib.util.spec_from_file_location("console_feed", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["console_feed"] = module  # its dataclasses look themselves up here
    spec.loader.exec_module(module)
    return module


def measure_feed(url: str, store: Store, runs: int) -> list[tuple[str, float, float]]:
    rng = random.Random(7)
    out = []
    with httpx.Client(base_url=url, timeout=120,
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as client:
        for name, params in feed_cases(store):
            times = []
            for _ in range(runs):
                started = time.monotonic()
                answer = client.get("/api/v1/alerts", params=params(rng))
                answer.raise_for_status()
                times.append(time.monotonic() - started)
            out.append((name, 1000 * statistics.median(times), 1000 * percentile(times, 95)))
    return out


def measure_report(url: str) -> float:
    database = open_database(url, create=False)
    now = datetime.now(UTC)
    month = (now + timedelta(hours=9)).strftime("%Y-%m")
    settings = ReportSettings.from_config(CollectorConfig())
    started = time.monotonic()
    with database.session() as session:
        monthly_figures(session, "tenant-001", month, settings, now)
    database.dispose()
    return time.monotonic() - started


# --- the run --------------------------------------------------------------------------------

def bench_backend(backend: str, args: argparse.Namespace) -> None:
    preload = args.preload if backend == "postgresql" else args.sqlite_preload
    with tempfile.TemporaryDirectory(prefix="yamori-scale-") as tmp:
        workdir = Path(tmp)
        log(f"== {backend}: preloading {preload:,} alerts ...")
        store = prepare(backend, preload, args, workdir)
        log(f"   preloaded in {store.preload_seconds:.1f} s")
        try:
            results: dict[int, LoadResult] = {}
            for processes in (1, 2):
                server = start_server(store.url, processes, workdir)
                try:
                    result = run_load(server.url, store, args)
                    results[processes] = result
                    log(f"   {processes} process(es): {result.alerts_per_s:,.0f} alerts/s, "
                        f"{result.beats_per_s:.1f} heartbeats/s, ingest p50 "
                        f"{result.p50_ms:.0f} ms p95 {result.p95_ms:.0f} ms "
                        f"({result.batches} batches, {result.errors} errors, "
                        f"{result.beat_errors} heartbeat errors); "
                        f"load {os.getloadavg()[0]:.2f}")
                    if processes == 2:
                        for name, p50, p95 in measure_feed(server.url, store, args.runs):
                            log(f"   {name:<28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
                finally:
                    server.stop()
            log(f"   monthly report figures (tenant-001): {measure_report(store.url):.2f} s")
            one, two = results[1], results[2]
            log(f"   scaling 1 -> 2 processes: alerts/s x{two.alerts_per_s / one.alerts_per_s:.2f}"
                f", p95 x{two.p95_ms / one.p95_ms:.2f}")
        finally:
            if store.cleanup is not None:
                store.cleanup()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--preload", type=int, default=10_000_000,
                        help="alerts preloaded on PostgreSQL")
    parser.add_argument("--sqlite-preload", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per run")
    parser.add_argument("--loaders", type=int, default=2, help="load-generator processes")
    parser.add_argument("--ingest-sensors", type=int, default=64,
                        help="sensors sending batches back to back (one thread each)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--heartbeat-sensors", type=int, default=2000)
    parser.add_argument("--heartbeat-interval", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=20, help="requests per feed case")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    log(f"collector_scale: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
        f"{args.loaders} loaders x {args.ingest_sensors // args.loaders} ingest sensors, "
        f"batch {args.batch_size}, {args.heartbeat_sensors} sensors beating every "
        f"{args.heartbeat_interval:g} s, {args.duration:g} s per run")
    for backend in args.backends.split(","):
        bench_backend(backend.strip(), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
