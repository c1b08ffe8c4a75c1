"""Helpers for fleet tests (collector, uplink and process tests alike).

Owns: a collector config with an admin token file and short heartbeat
intervals, and a minimal valid heartbeat body. Does not own: any production
behaviour.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.config import CollectorConfig
from collector.testing import temp_config

ADMIN_TOKEN = "admin-test-token"


def fleet_config(tmp_path: Path, **overrides: Any) -> CollectorConfig:
    """A temp collector config whose admin API takes ADMIN_TOKEN."""
    admin_file = tmp_path / "admin.token"
    admin_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")
    return replace(temp_config(tmp_path), **{"admin_token_file": str(admin_file), **overrides})


def admin_headers(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def heartbeat_body(sensor_id: str, sent_at: datetime | str | None = None,
                   **fields: Any) -> dict[str, Any]:
    """A valid heartbeat; `fields` override top-level keys."""
    body: dict[str, Any] = {
        "schema": 1, "sensor_id": sensor_id,
        "sent_at": sent_at if isinstance(sent_at, str) else (sent_at or datetime.now(UTC))
        .isoformat(), "interval": 60.0,
        "version": "0.1.0", "uptime": 12.5, "rules_version": "2024.05.01-1",
        "packets": 1000, "drops": 3,
        "counters": {"queued": 7, "sent": 10, "acknowledged": 10, "evicted": 2,
                     "oldest_queued_age": 4.5},
        "engine": {"engine": "builtin", "mode": "in-process"},
        "host": {"cpu_percent": 12.0, "memory_percent": 40.0, "disk_percent": 20.0,
                 "temperature_c": 51.5},
    }
    body.update(fields)
    return body
