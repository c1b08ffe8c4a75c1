"""PostgreSQL: `alerts` partitioned by month of its UUIDv7 alert_id (collector/partitions.py).

The table is rebuilt: renamed aside, a partitioned twin made with the same
columns (alert_id in collation "C", so id text sorts by time), months created
from the oldest UUIDv7 alert stored to two months ahead plus a default
partition, the rows copied, the old table dropped. The id sequence is kept,
so feed cursors stay valid. SQLite keeps its one table: nothing to do.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from collector import partitions

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The indexes of `alerts` as revision 0001 made them (name, columns).
ALERT_INDEXES = (
    ("ix_alerts_category_id", ["category", "id"]),
    ("ix_alerts_dest_ip_id", ["dest_ip", "id"]),
    ("ix_alerts_incident_id_id", ["incident_id", "id"]),
    ("ix_alerts_sensor_id_id", ["sensor_id", "id"]),
    ("ix_alerts_sensor_ts_epoch", ["sensor_id", "ts_epoch"]),
    ("ix_alerts_severity_id", ["severity", "id"]),
    ("ix_alerts_signature_id_id", ["signature_id", "id"]),
    ("ix_alerts_src_ip_id", ["src_ip", "id"]),
    ("ix_alerts_tenant_id", ["tenant", "id"]),
    ("ix_alerts_tenant_sid_id", ["tenant", "signature_id", "id"]),
    ("ix_alerts_tenant_ts_epoch", ["tenant", "ts_epoch"]),
    ("ix_alerts_ts_epoch", ["ts_epoch"]),
)
UUID7 = "^[0-9a-f]{8}-[0-9a-f]{4}-7"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside("alerts_unpartitioned")
    op.execute(
        'ALTER TABLE alerts_unpartitioned ALTER COLUMN alert_id TYPE varchar(64) COLLATE "C"'
    )
    op.execute(
        "CREATE TABLE alerts (LIKE alerts_unpartitioned INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (alert_id)"
    )
    op.execute(
        "ALTER TABLE alerts ADD CONSTRAINT alerts_pkey PRIMARY KEY (id, alert_id), "
        "ADD CONSTRAINT alerts_alert_id_key UNIQUE (alert_id)"
    )
    _add_keys_and_indexes()
    op.execute(f"CREATE TABLE {partitions.DEFAULT_PARTITION} PARTITION OF alerts DEFAULT")
    partitions.ensure_partitions(op.get_bind(), since=_oldest_month("alerts_unpartitioned"))
    _move_rows("alerts_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set_aside("alerts_partitioned")
    op.execute("CREATE TABLE alerts (LIKE alerts_partitioned INCLUDING DEFAULTS)")
    op.execute('ALTER TABLE alerts ALTER COLUMN alert_id TYPE varchar(64) COLLATE "default"')
    op.execute(
        "ALTER TABLE alerts ADD CONSTRAINT alerts_pkey PRIMARY KEY (id), "
        "ADD CONSTRAINT alerts_alert_id_key UNIQUE (alert_id)"
    )
    _add_keys_and_indexes()
    _move_rows("alerts_partitioned")


def _set_aside(name: str) -> None:
    """Rename `alerts` to `name` and free the names its twin needs (indexes, keys, sequence)."""
    op.execute(f"ALTER TABLE alerts RENAME TO {name}")
    inspector = sa.inspect(op.get_bind())
    for unique in inspector.get_unique_constraints(name):
        op.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{unique["name"]}"')
    for key in inspector.get_foreign_keys(name):
        op.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{key["name"]}"')
    primary = inspector.get_pk_constraint(name)["name"]
    op.execute(f'ALTER TABLE {name} DROP CONSTRAINT "{primary}"')
    for index in sa.inspect(op.get_bind()).get_indexes(name):  # fresh: the inspector caches
        op.execute(f'DROP INDEX "{index["name"]}"')
    op.execute("ALTER SEQUENCE alerts_id_seq OWNED BY NONE")


def _add_keys_and_indexes() -> None:
    op.create_foreign_key(
        "alerts_sensor_id_fkey", "alerts", "sensors", ["sensor_id"], ["sensor_id"]
    )
    op.create_foreign_key("alerts_incident_id_fkey", "alerts", "incidents", ["incident_id"], ["id"])
    for name, columns in ALERT_INDEXES:
        op.create_index(name, "alerts", columns)


def _oldest_month(table: str) -> partitions.Month | None:
    oldest = (
        op.get_bind()
        .execute(
            sa.text(f"SELECT min(alert_id) FROM {table} WHERE alert_id ~ :uuid7"), {"uuid7": UUID7}
        )
        .scalar()
    )
    if oldest is None:
        return None
    return partitions.month_of_alert_id(oldest)


def _move_rows(old: str) -> None:
    op.execute(f"INSERT INTO alerts SELECT * FROM {old}")
    op.execute(f"DROP TABLE {old} CASCADE")
    op.execute("ALTER SEQUENCE alerts_id_seq OWNED BY alerts.id")
