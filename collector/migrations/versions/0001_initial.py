"""The schema when migrations came in: every table as the models had it (issues 1-8).

On PostgreSQL `alerts` is a plain table here; 0002 partitions it.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:48:18.333686
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=256), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_tenant_id", "audit_log", ["tenant", "id"], unique=False)

    op.create_table(
        "dispatches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("technician", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_dispatches_incident_id"), "dispatches", ["incident_id"], unique=False)
    op.create_index(
        "ix_dispatches_tenant_at", "dispatches", ["tenant", "dispatched_at"], unique=False
    )

    op.create_table(
        "enrollment_tokens",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("token_sha256"),
    )
    op.create_table(
        "incidents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("gid", sa.BigInteger(), nullable=False),
        sa.Column("signature_id", sa.BigInteger(), nullable=False),
        sa.Column("src_ip", sa.String(length=64), nullable=False),
        sa.Column("dest_ip", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("last_alert_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_incidents_assignee_last_seen",
        "incidents",
        ["assignee", "last_seen", "id"],
        unique=False,
    )
    op.create_index(
        "ix_incidents_category_last_seen",
        "incidents",
        ["category", "last_seen", "id"],
        unique=False,
    )
    op.create_index(
        "ix_incidents_dest_ip_last_seen", "incidents", ["dest_ip", "last_seen", "id"], unique=False
    )
    op.create_index(
        "ix_incidents_group", "incidents", ["tenant", "signature_id", "last_seen"], unique=False
    )
    op.create_index(
        "ix_incidents_last_seen_id_first",
        "incidents",
        ["last_seen", "id", "first_seen"],
        unique=False,
    )
    op.create_index(
        "ix_incidents_severity_last_seen",
        "incidents",
        ["severity", "last_seen", "id"],
        unique=False,
    )
    op.create_index(
        "ix_incidents_sid_last_seen", "incidents", ["signature_id", "last_seen", "id"], unique=False
    )
    op.create_index(
        "ix_incidents_src_ip_last_seen", "incidents", ["src_ip", "last_seen", "id"], unique=False
    )
    op.create_index(
        "ix_incidents_state_last_alert", "incidents", ["state", "last_alert_id"], unique=False
    )
    op.create_index(
        "ix_incidents_state_last_seen", "incidents", ["state", "last_seen", "id"], unique=False
    )
    op.create_index(
        "ix_incidents_tenant_last_seen", "incidents", ["tenant", "last_seen", "id"], unique=False
    )
    op.create_index(
        "ix_incidents_tenant_state_last_alert",
        "incidents",
        ["tenant", "state", "last_alert_id"],
        unique=False,
    )

    op.create_table(
        "login_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_login_failures_address_at", "login_failures", ["address", "at"], unique=False
    )
    op.create_index(op.f("ix_login_failures_at"), "login_failures", ["at"], unique=False)
    op.create_index(
        "ix_login_failures_username_at", "login_failures", ["username", "at"], unique=False
    )

    op.create_table(
        "notify_contacts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("min_severity", sa.Integer(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_notify_contacts_tenant", "notify_contacts", ["tenant", "deleted_at"], unique=False
    )

    op.create_table(
        "notify_sensor_episodes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("offline_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sensor_id", "offline_since", name="uq_notify_episode"),
    )
    op.create_index(
        "ix_notify_episodes_open", "notify_sensor_episodes", ["recovered_at"], unique=False
    )

    op.create_table(
        "ruleset_bundles",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "saved_filters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "name", name="uq_saved_filters_user_name"),
    )
    op.create_table(
        "sensors",
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hostname", sa.String(length=253), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("sensor_id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index(op.f("ix_sensors_tenant"), "sensors", ["tenant"], unique=False)

    op.create_table(
        "signatures",
        sa.Column("gid", sa.BigInteger(), nullable=False),
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("gid", "sid", "rev"),
    )
    op.create_table(
        "tenant_overrides",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("gid", sa.BigInteger(), nullable=False),
        sa.Column("sid", sa.BigInteger(), nullable=False),
        sa.Column("track", sa.String(length=16), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_tenant_overrides_tenant", "tenant_overrides", ["tenant", "retired_at"], unique=False
    )

    op.create_table(
        "users",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("tenant", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timestamp", sa.String(length=64), nullable=False),
        sa.Column("ts_epoch", sa.Float(), nullable=False),
        sa.Column("signature_id", sa.BigInteger(), nullable=False),
        sa.Column("gid", sa.BigInteger(), nullable=False),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("src_ip", sa.String(length=64), nullable=False),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.Column("dest_ip", sa.String(length=64), nullable=False),
        sa.Column("dest_port", sa.Integer(), nullable=True),
        sa.Column("proto", sa.String(length=32), nullable=False),
        sa.Column("app_proto", sa.String(length=64), nullable=True),
        sa.Column("flow_id", sa.BigInteger(), nullable=True),
        sa.Column("eve", sa.Text(), nullable=False),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id"),
    )
    op.create_index("ix_alerts_category_id", "alerts", ["category", "id"], unique=False)
    op.create_index("ix_alerts_dest_ip_id", "alerts", ["dest_ip", "id"], unique=False)
    op.create_index("ix_alerts_incident_id_id", "alerts", ["incident_id", "id"], unique=False)
    op.create_index("ix_alerts_sensor_id_id", "alerts", ["sensor_id", "id"], unique=False)
    op.create_index("ix_alerts_sensor_ts_epoch", "alerts", ["sensor_id", "ts_epoch"], unique=False)
    op.create_index("ix_alerts_severity_id", "alerts", ["severity", "id"], unique=False)
    op.create_index("ix_alerts_signature_id_id", "alerts", ["signature_id", "id"], unique=False)
    op.create_index("ix_alerts_src_ip_id", "alerts", ["src_ip", "id"], unique=False)
    op.create_index("ix_alerts_tenant_id", "alerts", ["tenant", "id"], unique=False)
    op.create_index(
        "ix_alerts_tenant_sid_id", "alerts", ["tenant", "signature_id", "id"], unique=False
    )
    op.create_index("ix_alerts_tenant_ts_epoch", "alerts", ["tenant", "ts_epoch"], unique=False)
    op.create_index("ix_alerts_ts_epoch", "alerts", ["ts_epoch"], unique=False)

    op.create_table(
        "batches",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_index(op.f("ix_batches_sensor_id"), "batches", ["sensor_id"], unique=False)

    op.create_table(
        "console_sessions",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["username"], ["users.username"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_sha256"),
    )
    op.create_index(
        op.f("ix_console_sessions_expires_at"), "console_sessions", ["expires_at"], unique=False
    )
    op.create_index(
        op.f("ix_console_sessions_username"), "console_sessions", ["username"], unique=False
    )

    op.create_table(
        "heartbeats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_skew", sa.Float(), nullable=False),
        sa.Column("heartbeat", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_heartbeats_received_at"), "heartbeats", ["received_at"], unique=False)
    op.create_index("ix_heartbeats_sensor_id_id", "heartbeats", ["sensor_id", "id"], unique=False)

    op.create_table(
        "incident_notes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_incident_notes_incident", "incident_notes", ["incident_id", "id"], unique=False
    )

    op.create_table(
        "incident_sensors",
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
        ),
        sa.PrimaryKeyConstraint("incident_id", "sensor_id"),
    )
    op.create_index(
        "ix_incident_sensors_sensor", "incident_sensors", ["sensor_id", "incident_id"], unique=False
    )

    op.create_table(
        "notify_notices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tenant", sa.String(length=128), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("sensor_id", sa.String(length=128), nullable=True),
        sa.Column(
            "episode_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["notify_contacts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["notify_sensor_episodes.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index("ix_notify_notices_due", "notify_notices", ["state", "due_at"], unique=False)
    op.create_index("ix_notify_notices_episode", "notify_notices", ["episode_id"], unique=False)
    op.create_index(
        "ix_notify_notices_incident", "notify_notices", ["incident_id", "contact_id"], unique=False
    )
    op.create_index("ix_notify_notices_tenant_id", "notify_notices", ["tenant", "id"], unique=False)

    op.create_table(
        "ruleset_channel_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["ruleset_bundles.version"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_ruleset_channel_history_channel_id",
        "ruleset_channel_history",
        ["channel", "id"],
        unique=False,
    )

    op.create_table(
        "ruleset_channels",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["ruleset_bundles.version"],
        ),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "ruleset_rollouts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("rollback", sa.Boolean(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offered_effective", sa.String(length=128), nullable=False),
        sa.Column("previous_bundle", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("baseline", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.ForeignKeyConstraint(
            ["version"],
            ["ruleset_bundles.version"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version", "sensor_id", name="uq_ruleset_rollouts_version_sensor"),
    )
    op.create_index(
        "ix_ruleset_rollouts_sensor_id", "ruleset_rollouts", ["sensor_id"], unique=False
    )

    op.create_table(
        "ruleset_sensor_channels",
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("sensor_id"),
    )
    op.create_table(
        "sensor_counters",
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counters", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("sensor_id"),
    )
    op.create_table(
        "sensor_status",
        sa.Column("sensor_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("peer", sa.String(length=64), nullable=True),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=128), nullable=True),
        sa.Column("uptime", sa.Float(), nullable=False),
        sa.Column("clock_skew", sa.Float(), nullable=False),
        sa.Column("clock_skew_flagged", sa.Boolean(), nullable=False),
        sa.Column("heartbeat", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"],
            ["sensors.sensor_id"],
        ),
        sa.PrimaryKeyConstraint("sensor_id"),
    )
    op.create_index(
        op.f("ix_sensor_status_last_heartbeat_at"),
        "sensor_status",
        ["last_heartbeat_at"],
        unique=False,
    )

    op.create_table(
        "notify_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "notice_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notify_notices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_notify_deliveries_notice_id"), "notify_deliveries", ["notice_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notify_deliveries_notice_id"), "notify_deliveries")

    op.drop_table("notify_deliveries")
    op.drop_index(op.f("ix_sensor_status_last_heartbeat_at"), "sensor_status")

    op.drop_table("sensor_status")
    op.drop_table("sensor_counters")
    op.drop_table("ruleset_sensor_channels")
    op.drop_index("ix_ruleset_rollouts_sensor_id", "ruleset_rollouts")

    op.drop_table("ruleset_rollouts")
    op.drop_table("ruleset_channels")
    op.drop_index("ix_ruleset_channel_history_channel_id", "ruleset_channel_history")

    op.drop_table("ruleset_channel_history")
    op.drop_index("ix_notify_notices_tenant_id", "notify_notices")
    op.drop_index("ix_notify_notices_incident", "notify_notices")
    op.drop_index("ix_notify_notices_episode", "notify_notices")
    op.drop_index("ix_notify_notices_due", "notify_notices")

    op.drop_table("notify_notices")
    op.drop_index("ix_incident_sensors_sensor", "incident_sensors")

    op.drop_table("incident_sensors")
    op.drop_index("ix_incident_notes_incident", "incident_notes")

    op.drop_table("incident_notes")
    op.drop_index("ix_heartbeats_sensor_id_id", "heartbeats")
    op.drop_index(op.f("ix_heartbeats_received_at"), "heartbeats")

    op.drop_table("heartbeats")
    op.drop_index(op.f("ix_console_sessions_username"), "console_sessions")
    op.drop_index(op.f("ix_console_sessions_expires_at"), "console_sessions")

    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_batches_sensor_id"), "batches")

    op.drop_table("batches")
    op.drop_index("ix_alerts_ts_epoch", "alerts")
    op.drop_index("ix_alerts_tenant_ts_epoch", "alerts")
    op.drop_index("ix_alerts_tenant_sid_id", "alerts")
    op.drop_index("ix_alerts_tenant_id", "alerts")
    op.drop_index("ix_alerts_src_ip_id", "alerts")
    op.drop_index("ix_alerts_signature_id_id", "alerts")
    op.drop_index("ix_alerts_severity_id", "alerts")
    op.drop_index("ix_alerts_sensor_ts_epoch", "alerts")
    op.drop_index("ix_alerts_sensor_id_id", "alerts")
    op.drop_index("ix_alerts_incident_id_id", "alerts")
    op.drop_index("ix_alerts_dest_ip_id", "alerts")
    op.drop_index("ix_alerts_category_id", "alerts")

    op.drop_table("alerts")
    op.drop_table("users")
    op.drop_index("ix_tenant_overrides_tenant", "tenant_overrides")

    op.drop_table("tenant_overrides")
    op.drop_table("signatures")
    op.drop_index(op.f("ix_sensors_tenant"), "sensors")

    op.drop_table("sensors")
    op.drop_table("saved_filters")
    op.drop_table("ruleset_bundles")
    op.drop_index("ix_notify_episodes_open", "notify_sensor_episodes")

    op.drop_table("notify_sensor_episodes")
    op.drop_index("ix_notify_contacts_tenant", "notify_contacts")

    op.drop_table("notify_contacts")
    op.drop_index("ix_login_failures_username_at", "login_failures")
    op.drop_index(op.f("ix_login_failures_at"), "login_failures")
    op.drop_index("ix_login_failures_address_at", "login_failures")

    op.drop_table("login_failures")
    op.drop_index("ix_incidents_tenant_state_last_alert", "incidents")
    op.drop_index("ix_incidents_tenant_last_seen", "incidents")
    op.drop_index("ix_incidents_state_last_seen", "incidents")
    op.drop_index("ix_incidents_state_last_alert", "incidents")
    op.drop_index("ix_incidents_src_ip_last_seen", "incidents")
    op.drop_index("ix_incidents_sid_last_seen", "incidents")
    op.drop_index("ix_incidents_severity_last_seen", "incidents")
    op.drop_index("ix_incidents_last_seen_id_first", "incidents")
    op.drop_index("ix_incidents_group", "incidents")
    op.drop_index("ix_incidents_dest_ip_last_seen", "incidents")
    op.drop_index("ix_incidents_category_last_seen", "incidents")
    op.drop_index("ix_incidents_assignee_last_seen", "incidents")

    op.drop_table("incidents")
    op.drop_table("enrollment_tokens")
    op.drop_index("ix_dispatches_tenant_at", "dispatches")
    op.drop_index(op.f("ix_dispatches_incident_id"), "dispatches")

    op.drop_table("dispatches")
    op.drop_index("ix_audit_log_tenant_id", "audit_log")

    op.drop_table("audit_log")
