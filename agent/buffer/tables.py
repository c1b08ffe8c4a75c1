"""The alert queue's on-disk schema: SQL migrations and the matching Core tables.

Owns the DDL (as ordered plain-SQL migrations, kept in Python so they ship in
every wheel without package-data) and the SQLAlchemy `Table` objects the
store queries through. It does not open databases or run queries: store.py
does. A test checks the tables below agree with what the migrations create.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

# (user_version after applying, SQL). Append only; never edit a shipped entry.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE queue (
            -- AUTOINCREMENT: seqs are never reused, so a stale lease can't ack a newer row
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id    TEXT    NOT NULL UNIQUE,
            record      TEXT    NOT NULL,   -- the EVE alert record as compact JSON
            size        INTEGER NOT NULL,   -- len(record) in bytes, for batch sizing
            enqueued_at REAL    NOT NULL    -- unix seconds
        );
        CREATE TABLE poison (
            seq         INTEGER PRIMARY KEY,  -- its seq in queue, kept for forensics
            alert_id    TEXT    NOT NULL UNIQUE,
            record      TEXT    NOT NULL,
            size        INTEGER NOT NULL,
            enqueued_at REAL    NOT NULL,
            reason      TEXT    NOT NULL,
            poisoned_at REAL    NOT NULL
        );
        CREATE TABLE counters (
            name  TEXT    PRIMARY KEY,
            value INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO counters (name, value) VALUES
            ('appended', 0), ('acked', 0), ('poison', 0), ('evicted', 0), ('corrupt', 0);
        """,
    ),
    (
        2,
        """
        -- Bookmarks (e.g. an eve.json offset) committed with the alerts they produced.
        CREATE TABLE cursors (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        -- Eviction under the disk quota removes the least severe (highest number), oldest first.
        ALTER TABLE queue ADD COLUMN severity INTEGER NOT NULL DEFAULT 3;
        UPDATE queue SET severity = COALESCE(json_extract(record, '$.alert.severity'), 3);
        CREATE INDEX queue_eviction ON queue (severity DESC, seq);
        INSERT INTO counters (name, value) VALUES ('sent', 0), ('duplicates', 0);
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]

metadata = MetaData()

queue = Table(
    "queue",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String, nullable=False, unique=True),
    Column("record", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("enqueued_at", Float, nullable=False),
    Column("severity", Integer, nullable=False, default=3),
)

poison = Table(
    "poison",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("alert_id", String, nullable=False, unique=True),
    Column("record", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("enqueued_at", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("poisoned_at", Float, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Integer, nullable=False, default=0),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String, primary_key=True),
    Column("value", Text, nullable=False),
)

COUNTER_NAMES = ("appended", "acked", "poison", "evicted", "corrupt", "sent", "duplicates")
