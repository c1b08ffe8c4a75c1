"""Monthly partitions of `alerts` on PostgreSQL.

Owns: the partition layout (names, bounds), creating months ahead
(`ensure_partitions`), listing and dropping them. Does not own: when old
months go (retention.py) or the table's columns (models.py, migrations/).

Which time partitions the alerts: the time in the alert's own id. Agents
name each alert with a UUIDv7 (uplink/ids.py), whose canonical text starts
with its creation time in milliseconds as 12 hex digits, so under the
byte order of collation "C" the ids made in one month are exactly those
between two strings, e.g. ["0194203c-b400", "0194c6f6-a800") for 2025-01.
`alerts` is therefore partitioned BY RANGE (alert_id), which means:
- the partition key is alert_id itself, so PostgreSQL enforces
  UNIQUE(alert_id) across every partition and ingest's
  `ON CONFLICT (alert_id) DO NOTHING` stays exact. Partitioning by receive
  time could not: a batch retried after midnight on the 1st would land in
  the next month and its alerts would be stored twice;
- a month is the month the sensor made the alert (its clock, within seconds
  of the event), which is what monthly reports and retention mean, and a
  backlog uplinked days late still lands in its own month.
Ids that are not lowercase UUIDv7 text (fleet events, older agents, tests) or
whose month has no partition (a box whose clock says 2099) go to the DEFAULT
partition, which retention trims by DELETE. Creating a month moves the
default partition's rows of that month into it first, as PostgreSQL refuses
a partition whose rows sit in the default one. SQLite keeps one table.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

TABLE = "alerts"
DEFAULT_PARTITION = "alerts_pdefault"
_UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_NAME = re.compile(r"^alerts_p(\d{4})_(\d{2})$")
# Serializes partition DDL between collector processes starting together.
_LOCK_KEY = int.from_bytes(hashlib.sha256(b"yamori.partitions").digest()[:8], "big", signed=True)


@dataclass(slots=True, frozen=True, order=True)
class Month:
    """A calendar month in UTC."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        moment = moment.astimezone(UTC)
        return cls(moment.year, moment.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    def bound(self) -> str:
        """The smallest UUIDv7 text of this month (its 48-bit ms time as the id lays it out)."""
        digits = f"{int(self.start().timestamp() * 1000):012x}"
        return f"{digits[:8]}-{digits[8:]}"

    def partition(self) -> str:
        return f"alerts_p{self.year:04d}_{self.month:02d}"


def month_of_alert_id(alert_id: str) -> Month | None:
    """The month a UUIDv7 alert id was made in, or None for any other id."""
    if not _UUID7.match(alert_id):
        return None
    millis = int(alert_id[:8] + alert_id[9:13], 16)
    return Month.of(datetime.fromtimestamp(millis / 1000, tz=UTC))


def is_partitioned(conn: Connection) -> bool:
    """True when `alerts` is a partitioned table (PostgreSQL after migration 0002)."""
    if conn.dialect.name != "postgresql":
        return False
    kind = conn.execute(text(
        "SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(:t)"), {"t": TABLE}).scalar()
    return kind == "p"


def month_partitions(conn: Connection) -> dict[Month, str]:
    """The monthly partitions of `alerts` that exist, by month (the default one left out)."""
    names = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)"), {"t": TABLE}).scalars()
    found: dict[Month, str] = {}
    for name in names:
        match = _NAME.match(name)
        if match:
            found[Month(int(match[1]), int(match[2]))] = name
    return found


def ensure_partitions(engine: Engine | Connection, months_ahead: int = 2,
                      now: datetime | None = None, since: Month | None = None) -> list[str]:
    """Create the partitions of this month and `months_ahead` after (from `since` if given).

    Returns the names created. Safe to call from every collector at start and
    periodically: creation is serialized by an advisory lock and skips what
    exists. A no-op on SQLite or on an unpartitioned `alerts`.
    """
    if isinstance(engine, Connection):
        return _ensure(engine, months_ahead, now, since)
    with engine.begin() as conn:
        return _ensure(conn, months_ahead, now, since)


def _ensure(conn: Connection, months_ahead: int, now: datetime | None,
            since: Month | None) -> list[str]:
    if not is_partitioned(conn):
        return []
    lock_ddl(conn)
    this_month = Month.of(now or datetime.now(UTC))
    first = min(since, this_month) if since is not None else this_month
    existing = month_partitions(conn)
    created = []
    month = first
    while month <= this_month.plus(months_ahead):
        if month not in existing:
            create_partition(conn, month)
            created.append(month.partition())
        month = month.plus(1)
    if created:
        log.info("created alert partitions %s", ", ".join(created))
    return created


def lock_ddl(conn: Connection) -> None:
    """Hold the partition-DDL advisory lock until the transaction ends (PostgreSQL)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def create_partition(conn: Connection, month: Month) -> None:
    """Create `month`'s partition, first moving its rows out of the default partition."""
    name, low, high = month.partition(), month.bound(), month.plus(1).bound()
    bounds = {"low": low, "high": high}
    stranded = conn.execute(text(
        f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "
        "WHERE alert_id >= :low AND alert_id < :high)"), bounds).scalar()
    if not stranded:
        conn.execute(text(
            f"CREATE TABLE {name} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{low}') TO ('{high}')"))
        return
    conn.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS)"))
    conn.execute(text(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
        "WHERE alert_id >= :low AND alert_id < :high RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved"), bounds)
    conn.execute(text(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
        f"FOR VALUES FROM ('{low}') TO ('{high}')"))


def drop_partition(conn: Connection, name: str) -> None:
    """Drop one monthly partition (its rows go with it)."""
    if not _NAME.match(name):
        raise ValueError(f"not a monthly alert partition: {name!r}")
    conn.execute(text(f"DROP TABLE {name}"))
