"""EXPLAIN of the console's and the monthly report's real queries on partitioned PostgreSQL.

    .venv/bin/python bench/explain_queries.py [--alerts 300000] [--months 12] [--analyze]

Makes a fresh schema on the local PostgreSQL (127.0.0.1:5432, database
`test`), migrated to head (alerts partitioned by month of their UUIDv7
alert_id), fills it with `--alerts` alerts spread over `--months` months,
40 tenants of skewed size, 200 sensors and 300 signatures (SQL
generate_series: seconds, not minutes), ANALYZEs, then runs the real code —
the feed's first page and each single filter (collector.repo.alerts.feed_page),
one tenant's monthly report figures (collector.report.alerts.alert_figures),
one tenant's export (collector.export) and a retention run — capturing every
SELECT each issued, and prints its plan (EXPLAIN, or EXPLAIN ANALYZE with
`--analyze`) and the wall time. The schema is dropped at the end.
Does not own: the queries (repo/, report/) or the indexes (models.py).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The repository first: bench/uplink.py would shadow the uplink package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from collector.db import Database, open_database  # noqa: E402
from collector.export import export_tenant  # noqa: E402
from collector.partitions import Month, ensure_partitions  # noqa: E402
from collector.repo.alerts import FeedFilter, feed_page  # noqa: E402
from collector.report.alerts import alert_figures  # noqa: E402
from collector.report.period import report_period  # noqa: E402
from collector.retention import RetentionPolicy, apply_retention  # noqa: E402

BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime.now(UTC)


def main() -> int:
    args = _parser().parse_args()
    schema = f"yamori_explain_{uuid.uuid4().hex[:8]}"
    admin = create_engine(BASE)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        database = open_database(f"{BASE}?options=-csearch_path%3D{schema}")
        first = Month.of(NOW).plus(-(args.months - 1))
        ensure_partitions(database.engine, since=first)
        started = time.perf_counter()
        _fill(database.engine, args.alerts, first, args.months)
        _say(f"filled {args.alerts} alerts over {args.months} months "
             f"in {time.perf_counter() - started:.1f} s")
        for name, run in _cases(database, first):
            _explain(database.engine, name, run, args.analyze)
        database.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=300_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN ANALYZE (runs them)")
    return parser


def _fill(engine: Engine, alerts: int, first: Month, months: int) -> None:
    low = first.start().timestamp()
    span = (Month.of(NOW).plus(1).start().timestamp() - low) * 0.999
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sensors (sensor_id, tenant, name, token_sha256, created_at) "
            "SELECT 'pi-' || s, 'tenant-' || (s % 40), 'box ' || s, md5(s::text) || md5('x' || s), "
            "now() FROM generate_series(0, 199) s"))
        conn.execute(text(
            "INSERT INTO signatures (gid, sid, rev, text, category) SELECT 1, 2000000 + s, 1, "
            "'ET RULE number ' || s, 'Category ' || (s % 25) FROM generate_series(0, 299) s"))
        # Skewed: sensor = floor(200 * r^2) puts most alerts on a few tenants' boxes.
        conn.execute(text(
            "INSERT INTO alerts (alert_id, sensor_id, tenant, received_at, timestamp, ts_epoch,"
            " signature_id, gid, rev, signature, category, severity, src_ip, dest_ip, proto, eve) "
            "SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-' ||"
            " lpad(to_hex(n), 12, '0'), 'pi-' || s, 'tenant-' || (s % 40), now(), '', t,"
            " 2000000 + (n * 7919) % 300,"
            " 1, 1, 'ET RULE number ' || (n * 7919) % 300, 'Category ' || ((n * 7919) % 300) % 25,"
            " 1 + n % 4, '192.168.' || (s % 250) || '.' || (n % 250), '203.0.113.' || (n % 200),"
            " 'TCP', '{\"event_type\":\"alert\"}' FROM ("
            "  SELECT n, floor(200 * random() ^ 2)::int AS s, :low + :span * n / :alerts AS t,"
            "  lpad(to_hex((1000 * (:low + :span * n / :alerts))::bigint), 12, '0') AS h"
            "  FROM generate_series(0::bigint, :alerts - 1) n) g"),
            {"low": low, "span": span, "alerts": alerts})
        conn.execute(text("ANALYZE"))


def _cases(database: Database, first: Month) -> Iterator[tuple[str, Callable[[], Any]]]:
    def feed(flt: FeedFilter) -> Callable[[], Any]:
        def run() -> Any:
            with database.session() as session:
                return feed_page(session, flt, 50)
        return run

    day_ago = NOW.timestamp() - 86400
    yield "feed: first page", feed(FeedFilter())
    yield "feed: tenant", feed(FeedFilter(tenant="tenant-3"))
    yield "feed: sensor", feed(FeedFilter(sensor_id="pi-7"))
    yield "feed: sid", feed(FeedFilter(signature_id=2000017))
    yield "feed: category", feed(FeedFilter(category="Category 4"))
    yield "feed: src_ip", feed(FeedFilter(src_ip="192.168.3.17"))
    yield "feed: min_severity 1", feed(FeedFilter(min_severity=1))
    yield "feed: last day", feed(FeedFilter(since_epoch=day_ago))
    yield "feed: tenant, last day", feed(FeedFilter(tenant="tenant-3", since_epoch=day_ago))
    yield "feed: signature text", feed(FeedFilter(signature_text="number 12"))
    last_month = Month.of(NOW).plus(-1)
    period = report_period(f"{last_month.year:04d}-{last_month.month:02d}", "Asia/Tokyo", NOW)

    def report() -> Any:
        with database.session() as session:
            return alert_figures(session, "tenant-3", period, "ja")

    def export() -> Any:
        with database.session() as session:
            return export_tenant(session, "tenant-3", period.start, period.end, io.StringIO())

    def retention() -> Any:
        return apply_retention(database.engine, RetentionPolicy(max(1, _age(first) - 1)))

    yield "monthly report: tenant-3 last month", report
    yield "export: tenant-3 last month", export
    yield "retention: drop the oldest month", retention


def _age(first: Month) -> int:
    now = Month.of(NOW)
    return (now.year - first.year) * 12 + now.month - first.month + 1


def _explain(engine: Engine, name: str, run: Callable[[], Any], analyze: bool) -> None:
    with _captured(engine) as statements:
        started = time.perf_counter()
        run()
        took = time.perf_counter() - started
    _say(f"\n=== {name}: {took * 1000:.0f} ms, {len(statements)} statements")
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
    with engine.connect() as conn:
        for statement, params in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                _say(f"--- {statement.split(chr(10))[0][:100]} (not explained)")
                continue
            _say("--- " + " ".join(statement.split())[:300])
            plan = conn.exec_driver_sql(prefix + statement, params).scalars()
            _say("\n".join(f"    {line}" for line in plan))
            conn.rollback()


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, _context: Any,
                executemany: bool) -> None:
        if not executemany:
            statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")


if __name__ == "__main__":
    sys.exit(main())
