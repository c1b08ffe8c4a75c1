"""How long alerts are kept, per tenant, and removing what is past it.

Owns: `RetentionPolicy` (months to keep, a default and per-tenant values)
and `apply_retention`. A tenant keeping N months keeps the current month
and the N-1 before it (UTC), by the month its alert was made in
(partitions.py). On PostgreSQL whole months past every tenant's retention
are dropped as partitions (a catalog change: well under a second whatever
their size); a tenant keeping fewer months than the longest has its older
rows DELETEd from the partitions still kept, in batches, and so do the
default partition's rows (non-UUIDv7 ids) by their event time. On SQLite
(one table) everything past a tenant's retention is DELETEd in batches by
event time. Incidents, heartbeats and audit entries are not touched.
`retention_command` is `yamori collector retention`; `run_store_maintenance`
is the periodic task (partitions ahead, then retention) for the app's lifespan.
Does not own: creating partitions (partitions.py) or the schedule's wiring.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from collector import partitions
from collector.config import CollectorConfig, load_config
from collector.db import Database, open_database
from collector.partitions import Month, ensure_partitions

log = logging.getLogger(__name__)

DELETE_BATCH = 5000


@dataclass(slots=True, frozen=True)
class RetentionPolicy:
    """Months of alerts to keep: `default_months` unless `tenant_months` names the tenant.

    0 months means keep forever.
    """

    default_months: int = 0
    tenant_months: Mapping[str, int] = field(default_factory=dict)

    def months_for(self, tenant: str) -> int:
        return self.tenant_months.get(tenant, self.default_months)

    def longest(self) -> int:
        """The longest retention of any tenant (0: some tenant keeps everything)."""
        values = [self.default_months, *self.tenant_months.values()]
        return 0 if 0 in values else max(values)


@dataclass(slots=True)
class RetentionResult:
    """What one run removed."""

    dropped_partitions: list[str] = field(default_factory=list)
    deleted_rows: int = 0
    drop_seconds: float = 0.0  # dropping the partitions, commit included


def policy_from_config(config: CollectorConfig) -> RetentionPolicy:
    """The policy of retention_months_default and retention_months."""
    return RetentionPolicy(config.retention_months_default, dict(config.retention_months))


def retention_command(config_path: Path | None, now: datetime | None = None) -> int:
    """`yamori collector retention`: make the coming months, apply the configured retention.

    Prints what was dropped and deleted.
    """
    config = load_config(config_path)
    database = open_database(config.database_url)
    try:
        result = apply_retention(database.engine, policy_from_config(config), now)
    finally:
        database.dispose()
    dropped = ", ".join(result.dropped_partitions) or "none"
    sys.stdout.write(f"partitions dropped: {dropped}; alerts deleted: {result.deleted_rows}\n")
    return 0


async def run_store_maintenance(database: Database, config: CollectorConfig,
                                every_seconds: float = 3600.0) -> None:
    """Forever: make the coming months' partitions and apply retention, every `every_seconds`.

    Meant for the app's lifespan task group. Every collector process may run
    it: partition DDL is serialized and retention is idempotent.
    """
    policy = policy_from_config(config)
    while True:
        try:
            await anyio.to_thread.run_sync(ensure_partitions, database.engine)
            await anyio.to_thread.run_sync(apply_retention, database.engine, policy)
        except SQLAlchemyError:
            log.warning("store maintenance failed; retrying next round", exc_info=True)
        await anyio.sleep(every_seconds)


def first_kept(months: int, now: datetime) -> Month:
    """The oldest month a tenant keeping `months` months still keeps."""
    return Month.of(now).plus(-(months - 1))


def apply_retention(engine: Engine, policy: RetentionPolicy,
                    now: datetime | None = None,
                    batch_size: int = DELETE_BATCH) -> RetentionResult:
    """Remove the alerts past `policy`; see the module docstring for how."""
    now = now or datetime.now(UTC)
    result = RetentionResult()
    started = time.perf_counter()
    with engine.begin() as conn:
        partitioned = partitions.is_partitioned(conn)
        if partitioned:
            result.dropped_partitions = _drop_months(conn, policy, now)
    result.drop_seconds = time.perf_counter() - started
    with engine.connect() as conn:
        tenants = list(conn.execute(text("SELECT DISTINCT tenant FROM sensors")).scalars())
    for tenant in sorted(set(tenants) | set(policy.tenant_months)):
        months = policy.months_for(tenant)
        if months > 0:
            result.deleted_rows += _delete_tenant(engine, tenant, first_kept(months, now),
                                                  partitioned, batch_size)
    if result.dropped_partitions or result.deleted_rows:
        log.info("retention dropped %s and deleted %d alerts",
                 result.dropped_partitions, result.deleted_rows)
    return result


def _drop_months(conn: Connection, policy: RetentionPolicy, now: datetime) -> list[str]:
    longest = policy.longest()
    if longest == 0:
        return []
    oldest_kept = first_kept(longest, now)
    partitions.lock_ddl(conn)
    dropped = []
    for month, name in sorted(partitions.month_partitions(conn).items()):
        if month < oldest_kept:
            partitions.drop_partition(conn, name)
            dropped.append(name)
    return dropped


def _delete_tenant(engine: Engine, tenant: str, kept_from: Month, partitioned: bool,
                   batch_size: int) -> int:
    """Delete the tenant's alerts made before `kept_from`, one short transaction per batch."""
    cutoff_epoch = kept_from.start().timestamp()
    if partitioned:
        # Months by id in the monthly partitions; the default one's rows by event time.
        statements = [
            ("alerts", "tenant = :tenant AND alert_id < :bound AND alert_id >= :floor"),
            (partitions.DEFAULT_PARTITION, "tenant = :tenant AND ts_epoch < :epoch"),
        ]
    else:
        statements = [("alerts", "tenant = :tenant AND ts_epoch < :epoch")]
    params = {"tenant": tenant, "bound": kept_from.bound(), "epoch": cutoff_epoch,
              "floor": Month(1970, 1).bound(), "limit": batch_size}
    deleted = 0
    for table, where in statements:
        while True:
            with engine.begin() as conn:
                count = conn.execute(text(
                    f"DELETE FROM {table} WHERE id IN "
                    f"(SELECT id FROM {table} WHERE {where} LIMIT :limit)"), params).rowcount
            deleted += count
            if count < batch_size:
                break
    return deleted
