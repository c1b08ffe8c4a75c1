"""Benchmark: the SOC console's feed, filters and incidents with 1,000,000 alerts (SQLite).

    .venv/bin/python bench/console_feed.py [--alerts 1000000] [--db PATH] [--runs 40] [-v]

Fills a SQLite store (once; `--db` keeps it for later runs) with a realistic
month of alerts: 300 tenants of skewed size, 1,000 sensors, a few thousand
signatures (ET Open's own messages and classtypes from ../shared when
present) with skewed frequency, recurring flows (a beaconing host, a
scanner), one-off noise, alert storms up to 20,000 identical alerts, 1 % of
alerts arriving up to a day late, and incidents grouped by the collector's
own rule (collector.incidents.grouping.plan_incidents) with triage states
and assignees. Rows go in through SQLAlchemy core executemany, not HTTP.

Then it times, through the real API in-process (FastAPI TestClient, admin
bearer token, or a customer viewer where said), `--runs` requests per case
with a different filter value each run: the feed's first page, each single
filter, the incident list and its filters; p50/p95/max against the 300 ms
target. Finally it serves the app on 127.0.0.1 (uvicorn), holds the live
stream open, ingests single alerts over HTTP and times each until it
arrives on the stream (target < 2 s). `-v` prints EXPLAIN QUERY PLAN of
every statement one request of each case ran. Prints the load average with
the figures: other jobs on the same cores skew them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

import collector.tables  # noqa: E402, F401  (every table on Base.metadata)
from collector.auth.deps import current_user  # noqa: E402
from collector.auth.principal import Principal  # noqa: E402
from collector.config import CollectorConfig  # noqa: E402
from collector.db import open_database  # noqa: E402
from collector.incidents.grouping import Slot, plan_incidents  # noqa: E402
from collector.incidents.models import Incident, IncidentSensor  # noqa: E402
from collector.incidents.states import STATES  # noqa: E402
from collector.main import create_app  # noqa: E402
from collector.models import Alert, Base, Sensor, Signature  # noqa: E402
from collector.repo.sensors import create_sensor  # noqa: E402
from collector.testing import sample_alert, sample_batch, serve_in_thread  # noqa: E402
from uplink.schema import BATCHES_PATH  # noqa: E402

ET_OPEN = Path(__file__).resolve().parents[2] / "shared" / "data" / "et-open"
TARGET_MS = 300.0
STREAM_TARGET_S = 2.0
END = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
SPAN = 30 * 86400.0
WINDOW = CollectorConfig().incident_window_seconds
CHUNK = 20_000
ADMIN_TOKEN = "bench-admin-token"
ANALYSTS = [f"analyst{i}" for i in range(1, 9)]


# -- the world: tenants, sensors, signatures, addresses ---------------------------------

@dataclass(slots=True, frozen=True)
class Rule:
    gid: int
    sid: int
    rev: int
    msg: str
    category: str
    severity: int


@dataclass(slots=True)
class World:
    tenants: list[str]
    tenant_weights: list[float]
    sensors: dict[str, list[str]]  # tenant -> its sensor ids
    subnets: dict[str, str]
    rules: list[Rule]
    rule_weights: list[float]
    externals: list[str]
    tokens: dict[str, str] = field(default_factory=dict)


def zipf(n: int, s: float) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def et_rules(rng: random.Random, count: int) -> list[Rule]:
    """`count` rules of ET Open (msg, sid, rev, classtype), or made-up ones without it."""
    found = sorted(ET_OPEN.glob("*/suricata.rules"))
    if not found:
        words = ["TROJAN", "MALWARE", "POLICY", "SCAN", "EXPLOIT", "INFO", "DNS", "WEB"]
        return [Rule(1, 2_000_000 + i, 1 + i % 5,
                     f"ET {rng.choice(words)} synthetic signature {i}",
                     "A Network Trojan was detected", 1 + i % 3) for i in range(count)]
    classes: dict[str, tuple[str, int]] = {}
    for line in (found[-1].parent / "classification.config").read_text().splitlines():
        if line.startswith("config classification:"):
            name, desc, priority = (p.strip() for p in line.split(":", 1)[1].split(","))
            classes[name] = (desc, int(priority))
    pattern = re.compile(r'msg:"([^"]+)";.*?classtype:([\w-]+);.*?sid:(\d+);\s*rev:(\d+);')
    rules = []
    for line in found[-1].read_text(errors="replace").splitlines():
        match = pattern.search(line) if line.startswith("alert") else None
        if match and match.group(2) in classes:
            category, severity = classes[match.group(2)]
            rules.append(Rule(1, int(match.group(3)), int(match.group(4)), match.group(1),
                              category, min(severity, 4)))
    return rng.sample(rules, min(count, len(rules)))


def make_world(rng: random.Random, tenants: int, sensors: int, signatures: int) -> World:
    names = [f"tenant-{i:03d}" for i in range(tenants)]
    weights = zipf(tenants, 1.0)
    rng.shuffle(weights)
    extra = sensors - tenants
    total = sum(weights)
    fleet = {t: [f"{t}-pi{j}" for j in range(1 + int(extra * w / total))]
             for t, w in zip(names, weights, strict=True)}
    nets = ["192.168.1", "192.168.0", "10.0.0", "192.168.10", "172.16.0"]
    subnets = {t: nets[i % len(nets)] for i, t in enumerate(names)}
    externals = [f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
                 f"{rng.randint(1, 254)}" for _ in range(30_000)]
    # Suricata writes IPv6 with every zero: a few of those too.
    externals += [":".join(f"{rng.randint(0, 0xffff):04x}" for _ in range(8))
                  for _ in range(600)]
    rules = et_rules(rng, signatures)
    return World(names, weights, fleet, subnets, rules, zipf(len(rules), 1.1), externals)


# -- events: recurring flows, noise, storms ----------------------------------------------

Event = tuple[float, float, str, str, int, str, str]  # received, ts, tenant, sensor, rule, src, dst


def endpoints(rng: random.Random, world: World, tenant: str) -> tuple[str, str]:
    host = f"{world.subnets[tenant]}.{min(254, 2 + int(rng.paretovariate(1.2)))}"
    far = world.externals[min(len(world.externals) - 1, int(rng.paretovariate(0.6)) - 1)]
    return (host, far) if rng.random() < 0.75 else (far, host)


def pick_rule(rng: random.Random, world: World) -> int:
    return rng.choices(range(len(world.rules)), world.rule_weights)[0]


def make_events(rng: random.Random, world: World, total: int) -> list[Event]:
    """`total` events in received order: 10 % storms, 15 % noise, the rest recurring flows."""
    events: list[tuple[float, str, str, int, str, str]] = []
    events += storms(rng, world, total // 10)
    flows = make_flows(rng, world, 6000)
    flow_weights = [f[0] for f in flows]
    for flow in rng.choices(flows, flow_weights, k=total - len(events) - total * 15 // 100):
        _, start, length, tenant, sensor, rule, src, dst = flow
        events.append((start + rng.random() * length, tenant, sensor, rule, src, dst))
    while len(events) < total:
        tenant = rng.choices(world.tenants, world.tenant_weights)[0]
        src, dst = endpoints(rng, world, tenant)
        events.append((END - rng.random() * SPAN, tenant, rng.choice(world.sensors[tenant]),
                       pick_rule(rng, world), src, dst))
    # Delivery: seconds after the event, but 1 % arrive up to a day late (a box was offline).
    delivered = [(ts + (rng.uniform(3600, 86400) if rng.random() < 0.01 else rng.random() * 5),
                  ts, *rest) for ts, *rest in events]
    delivered.sort()
    return delivered  # type: ignore[return-value]


def make_flows(rng: random.Random, world: World, count: int) -> list[tuple[Any, ...]]:
    flows = []
    for _ in range(count):
        tenant = rng.choices(world.tenants, world.tenant_weights)[0]
        length = rng.uniform(3600, 10 * 86400)
        start = END - SPAN + rng.random() * (SPAN - length)
        src, dst = endpoints(rng, world, tenant)
        weight = length / 86400 * rng.paretovariate(1.5)
        flows.append((weight, start, length, tenant, rng.choice(world.sensors[tenant]),
                      pick_rule(rng, world), src, dst))
    return flows


def storms(rng: random.Random, world: World, budget: int) -> Iterator[tuple[Any, ...]]:
    """Bursts of identical alerts (same tenant, rule, addresses) at ~5 per second."""
    sizes = [20_000, 10_000, 10_000] + [5_000] * 5
    while sum(sizes) < budget:
        sizes.append(rng.randint(500, 3000))
    for size in sizes:
        tenant = rng.choices(world.tenants, world.tenant_weights)[0]
        sensor, rule = rng.choice(world.sensors[tenant]), rng.randrange(len(world.rules))
        src, dst = endpoints(rng, world, tenant)
        start = END - rng.random() * SPAN
        for i in range(size):
            yield (start + i * 0.2, tenant, sensor, rule, src, dst)


# -- filling the store ---------------------------------------------------------------------

def eve(row: dict[str, Any], rule: Rule, n: int) -> str:
    """An EVE alert record (~800 bytes), as agents send them."""
    record = {
        "alert_id": row["alert_id"], "timestamp": row["timestamp"], "flow_id": 10**12 + n,
        "event_type": "alert", "src_ip": row["src_ip"], "src_port": row["src_port"],
        "dest_ip": row["dest_ip"], "dest_port": row["dest_port"], "proto": "TCP",
        "app_proto": "tls",
        "alert": {"action": "allowed", "gid": rule.gid, "signature_id": rule.sid,
                  "rev": rule.rev, "signature": rule.msg, "category": rule.category,
                  "severity": rule.severity,
                  "metadata": {"created_at": ["2024_01_01"], "signature_severity": ["Major"]}},
        "tls": {"sni": "cdn.example", "version": "TLS 1.2", "ja3": {"hash": "a" * 32}},
        "flow": {"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 517,
                 "bytes_toclient": 3000, "start": row["timestamp"]},
        "sensor_id": row["sensor_id"], "tenant": row["tenant"],
    }
    return json.dumps(record, separators=(",", ":"))


def alert_rows(world: World, events: list[Event], first: int) -> list[dict[str, Any]]:
    rows = []
    for n, (received, ts, tenant, sensor, rule_index, src, dst) in enumerate(events, first):
        rule = world.rules[rule_index]
        row = {"id": n, "alert_id": f"b-{n:09d}", "sensor_id": sensor, "tenant": tenant,
               "received_at": datetime.fromtimestamp(received, UTC),
               "timestamp": datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f%z"),
               "ts_epoch": ts, "signature_id": rule.sid, "gid": rule.gid, "rev": rule.rev,
               "signature": rule.msg, "category": rule.category, "severity": rule.severity,
               "src_ip": src, "src_port": 40000 + n % 20000, "dest_ip": dst,
               "dest_port": 443, "proto": "TCP", "app_proto": "tls", "flow_id": 10**12 + n}
        row["eve"] = eve(row, rule, n)
        rows.append(row)
    return rows


@dataclass(slots=True)
class Tally:
    """An incident as the fill builds it."""

    slot: Slot
    count: int = 0
    severity: int = 99
    last_alert_id: int = 0
    first_row: dict[str, Any] | None = None
    sensors: set[str] = field(default_factory=set)


def fill(path: Path, alerts: int, seed: int) -> World:
    """Create and fill the store at `path`; returns the world it was made of."""
    rng = random.Random(seed)
    world = make_world(rng, 300, 1000, 3000)
    started = time.monotonic()
    events = make_events(rng, world, alerts)
    log(f"fill: {len(events)} events generated in {time.monotonic() - started:.1f} s")
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    # Loading first and indexing after is several times faster than the reverse.
    indexes = list(Base.metadata.tables["alerts"].indexes)
    for index in indexes:
        index.drop(engine)
    tallies = fill_alerts(engine, world, events)
    log(f"fill: alerts loaded at {time.monotonic() - started:.1f} s")
    for index in indexes:
        index.create(engine)
    fill_incidents(engine, rng, tallies)
    fill_reference(engine, world)
    with engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
    engine.dispose()
    log(f"fill: {alerts} alerts, {len(tallies)} incidents in "
        f"{time.monotonic() - started:.1f} s, {path.stat().st_size / 2**30:.2f} GiB")
    return world


def fill_alerts(engine: Engine, world: World, events: list[Event]) -> dict[int, Tally]:
    open_slots: dict[Any, list[Slot]] = {}
    tallies: dict[int, Tally] = {}
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        for start in range(0, len(events), CHUNK):
            rows = alert_rows(world, events[start:start + CHUNK], start + 1)
            for slot in plan_incidents(rows, open_slots, WINDOW):
                if slot.incident_id is None:
                    slot.incident_id = len(tallies) + 1
                    tallies[slot.incident_id] = Tally(slot)
                tally_rows(tallies[slot.incident_id], slot.rows)
                slot.rows = []
            conn.execute(insert(Alert), rows)
    return tallies


def tally_rows(tally: Tally, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        row["incident_id"] = tally.slot.incident_id
        tally.count += 1
        tally.severity = min(tally.severity, row["severity"])
        tally.last_alert_id = max(tally.last_alert_id, row["id"])
        tally.first_row = tally.first_row or row
        tally.sensors.add(row["sensor_id"])


def triage_state(rng: random.Random, last_seen: float) -> str:
    # Older incidents have mostly been worked; the last two days are mostly new.
    weights = [5, 10, 5, 5, 15, 60] if END - last_seen > 2 * 86400 else [55, 20, 10, 5, 2, 8]
    return rng.choices(STATES, weights)[0]


def fill_incidents(engine: Engine, rng: random.Random, tallies: dict[int, Tally]) -> None:
    now = datetime.fromtimestamp(END, UTC)
    rows, sensors = [], []
    for ident, t in tallies.items():
        state = triage_state(rng, t.slot.last_seen)
        first = t.first_row or {}
        tenant, gid, sid, src, dst = t.slot.key
        rows.append({
            "id": ident, "tenant": tenant, "gid": gid, "signature_id": sid, "src_ip": src,
            "dest_ip": dst, "signature": first["signature"], "category": first["category"],
            "severity": t.severity, "count": t.count, "first_seen": t.slot.first_seen,
            "last_seen": t.slot.last_seen, "last_alert_id": t.last_alert_id, "state": state,
            "assignee": None if state == "new" else rng.choice(ANALYSTS), "created_at": now,
            "updated_at": now, "resolved_at": now if state.startswith("resolved") else None})
        sensors += [{"incident_id": ident, "sensor_id": s} for s in sorted(t.sensors)]
    with engine.begin() as conn:
        conn.execute(insert(Incident), rows)
        conn.execute(insert(IncidentSensor), sensors)


def fill_reference(engine: Engine, world: World) -> None:
    now = datetime.fromtimestamp(END, UTC)
    with engine.begin() as conn:
        conn.execute(insert(Sensor), [
            {"sensor_id": s, "tenant": t, "name": s, "token_sha256": uuid.uuid4().hex * 2,
             "created_at": now} for t, ids in world.sensors.items() for s in ids])
        conn.execute(insert(Signature), [
            {"gid": r.gid, "sid": r.sid, "rev": r.rev, "text": r.msg, "category": r.category}
            for r in {(r.gid, r.sid, r.rev): r for r in world.rules}.values()])


# -- measuring -------------------------------------------------------------------------------

@dataclass(slots=True)
class Pools:
    """Filter values to draw from, read back from the store."""

    tenants: list[str]
    sensors: list[str]
    categories: list[str]
    sids: list[int]
    words: list[str]
    sources: list[str]
    destinations: list[str]
    first_ts: float
    last_ts: float


def read_pools(engine: Engine, rng: random.Random) -> Pools:
    with engine.connect() as conn:
        def column(sql: str) -> list[Any]:
            return [r[0] for r in conn.exec_driver_sql(sql)]
        top = column("SELECT max(id) FROM alerts")[0]
        ids = ",".join(str(rng.randint(1, top)) for _ in range(300))
        texts = column("SELECT text FROM signatures")
        words = sorted({w for t in texts for w in re.findall(r"[A-Za-z]{4,}", t)})
        # The filled month, not min/max(ts_epoch): the stream measurement adds
        # alerts stamped with the wall clock.
        first, last = END - SPAN, END
        return Pools(column("SELECT DISTINCT tenant FROM sensors"),
                     column("SELECT sensor_id FROM sensors"),
                     column("SELECT DISTINCT category FROM signatures"),
                     column("SELECT sid FROM signatures"), words,
                     column(f"SELECT src_ip FROM alerts WHERE id IN ({ids})"),
                     column(f"SELECT dest_ip FROM alerts WHERE id IN ({ids})"), first, last)


Params = Callable[[random.Random, Pools], dict[str, Any]]


@dataclass(slots=True, frozen=True)
class Case:
    name: str
    path: str
    params: Params
    customer: bool = False  # as a customer viewer of a random tenant


def hour(rng: random.Random, p: Pools) -> dict[str, Any]:
    since = rng.uniform(p.first_ts, p.last_ts - 3600)
    return {"since": since, "until": since + 3600}


FILTERS: list[tuple[str, Params]] = [
    ("tenant", lambda r, p: {"tenant": r.choice(p.tenants)}),
    ("sensor", lambda r, p: {"sensor": r.choice(p.sensors)}),
    ("severity", lambda r, p: {"min_severity": r.randint(1, 3)}),
    ("category", lambda r, p: {"category": r.choice(p.categories)}),
    ("sid", lambda r, p: {"sid": r.choice(p.sids)}),
    ("signature search", lambda r, p: {"q": r.choice(p.words)}),
    ("src ip", lambda r, p: {"src_ip": r.choice(p.sources)}),
    ("dest ip", lambda r, p: {"dest_ip": r.choice(p.destinations)}),
    ("time range 1 h", hour),
    ("time since 24 h", lambda r, p: {"since": p.last_ts - 86400}),
    ("state", lambda r, p: {"state": r.choice(STATES)}),
]


def cases() -> list[Case]:
    feed = [Case("feed first page", "/api/v1/alerts", lambda r, p: {})]
    feed += [Case(f"feed {name}", "/api/v1/alerts", params) for name, params in FILTERS]
    feed.append(Case("feed as customer", "/api/v1/alerts", lambda r, p: {}, customer=True))
    feed.append(Case("feed as customer + search", "/api/v1/alerts",
                     lambda r, p: {"q": r.choice(p.words)}, customer=True))
    feed.append(Case("feed as customer + state", "/api/v1/alerts",
                     lambda r, p: {"state": r.choice(STATES)}, customer=True))
    feed.append(Case("feed as customer + 24 h", "/api/v1/alerts",
                     lambda r, p: {"since": p.last_ts - 86400}, customer=True))
    feed.append(Case("feed sensor + 24 h", "/api/v1/alerts",
                     lambda r, p: {"sensor": r.choice(p.sensors), "since": p.last_ts - 86400}))
    feed.append(Case("feed since end of month (~empty)", "/api/v1/alerts",
                     lambda r, p: {"since": p.last_ts + 1}))
    incidents = [Case("incidents first page", "/api/v1/incidents", lambda r, p: {})]
    incidents += [Case(f"incidents {name}", "/api/v1/incidents", params)
                  for name, params in FILTERS]
    incidents.append(Case("incidents assignee", "/api/v1/incidents",
                          lambda r, p: {"assignee": r.choice(ANALYSTS)}))
    incidents.append(Case("incidents as customer", "/api/v1/incidents", lambda r, p: {},
                          customer=True))
    return feed + incidents


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on `engine` meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


OURS = re.compile(r"\b(alerts|incidents|signatures|incident_sensors)\b")


def explain(engine: Engine, statements: list[tuple[str, Any]]) -> None:
    """EXPLAIN QUERY PLAN of the console's own SELECTs (not the background tasks')."""
    with engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT") or not OURS.search(statement):
                continue
            log("    " + " ".join(statement.split())[:300])
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            for row in plan:
                log(f"      {row[3]}")


def time_case(client: TestClient, app: Any, engine: Engine, case: Case, pools: Pools,
              args: argparse.Namespace, rng: random.Random) -> list[float]:
    times = []
    for run in range(args.runs):
        tenant = rng.choice(pools.tenants)
        if case.customer:
            app.dependency_overrides[current_user] = (
                lambda t=tenant: Principal("viewer", "customer", tenant=t))
        params = case.params(rng, pools)
        with captured(engine) as statements:
            began = time.perf_counter()
            answer = client.get(case.path, params=params, headers=admin_headers())
            times.append((time.perf_counter() - began) * 1000)
        app.dependency_overrides.pop(current_user, None)
        if answer.status_code != 200:
            raise RuntimeError(f"{case.name} {params}: {answer.status_code} {answer.text}")
        if args.verbose and run == 0:
            log(f"  {case.name} {params}")
            explain(engine, statements)
    return times


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def measure_queries(config: CollectorConfig, args: argparse.Namespace) -> list[str]:
    rng = random.Random(args.seed + 1)
    app = create_app(config)
    engine = app.state.collector.database.engine
    pools = read_pools(engine, rng)
    lines = [f"{'case':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s}  "
             f"target p95 < {TARGET_MS:.0f} ms"]
    with TestClient(app) as client:
        for case in cases():
            times = time_case(client, app, engine, case, pools, args, rng)
            p95 = percentile(times, 95)
            lines.append(f"{case.name:34s} {statistics.median(times):8.1f} {p95:8.1f} "
                         f"{max(times):8.1f}  {'ok' if p95 < TARGET_MS else 'OVER'}")
            log(lines[-1])
    return lines


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


# -- new alert to open feed --------------------------------------------------------------

def measure_stream(config: CollectorConfig, samples: int) -> str:
    """Seconds from the start of an ingest POST until the alert arrives on an open stream."""
    database = open_database(config.database_url)
    sensor_id = f"bench-live-{uuid.uuid4().hex[:8]}"
    with database.session() as session:
        token = create_sensor(session, sensor_id, "tenant-000")
    database.dispose()
    arrived: dict[str, float] = {}
    with serve_in_thread(replace(config, port=0)) as live:
        stream = httpx.stream("GET", live.url + "/api/v1/alerts/stream",
                              headers=admin_headers(), timeout=None)
        reader = threading.Thread(target=read_stream, args=(stream, arrived), daemon=True)
        reader.start()
        time.sleep(1.5)  # the stream has taken its starting cursor
        delays, posts = [], []
        rng = random.Random(7)
        for n in range(samples):
            alert = sample_alert(n, timestamp=datetime.now(UTC).isoformat())
            began = time.monotonic()
            answer = httpx.post(live.url + BATCHES_PATH, timeout=30,
                                json=sample_batch([alert], sensor_id=sensor_id),
                                headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            posts.append(time.monotonic() - began)
            while alert["alert_id"] not in arrived and time.monotonic() - began < 10:
                time.sleep(0.005)
            delays.append(arrived.get(alert["alert_id"], float("inf")) - began)
            time.sleep(rng.uniform(0.1, 1.1))  # land anywhere in the poll interval
    return (f"new alert -> open feed (stream_poll_seconds {config.stream_poll_seconds}): "
            f"p50 {statistics.median(delays):.2f} s, p95 {percentile(delays, 95):.2f} s, "
            f"max {max(delays):.2f} s over {samples} (target < {STREAM_TARGET_S:.0f} s: "
            f"{'ok' if max(delays) < STREAM_TARGET_S else 'OVER'}); "
            f"ingest POST p50 {statistics.median(posts) * 1000:.0f} ms")


def read_stream(stream: Any, arrived: dict[str, float]) -> None:
    with stream as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                arrived[json.loads(line[6:])["alert_id"]] = time.monotonic()


# -- main ------------------------------------------------------------------------------------

def ensure_indexes(db: Path) -> None:
    """Create the models' indexes a kept store lacks (create_all skips existing tables)."""
    engine = create_engine(f"sqlite:///{db}")
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            index.create(engine, checkfirst=True)
    engine.dispose()


def log(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def main() -> int:
    args = parse_args()
    db = args.db or Path(f"/tmp/yamori-console-bench-{args.alerts}.sqlite")
    if not db.exists():
        fill(db, args.alerts, args.seed)
    ensure_indexes(db)
    admin = db.with_suffix(".admin-token")
    admin.write_text(ADMIN_TOKEN + "\n")
    config = CollectorConfig(database_url=f"sqlite:///{db}", admin_token_file=str(admin),
                             log_level="WARNING")
    lines = measure_queries(config, args)
    if args.stream_samples:
        lines.append(measure_stream(config, args.stream_samples))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out = sys.stdout
    out.write(f"store {db} ({args.alerts} alerts), {args.runs} runs per case, load {load}\n")
    out.write("\n".join(lines) + "\n")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="store to fill (if absent) and measure")
    parser.add_argument("--runs", type=int, default=40, help="requests per case")
    parser.add_argument("--stream-samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print EXPLAIN QUERY PLAN of each case's statements")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(main())
