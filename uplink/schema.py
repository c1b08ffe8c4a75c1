"""Versioned wire records between agent and collector.

An alert on the wire is a Suricata EVE alert record, unchanged, plus yamori's
own top-level fields `alert_id`, `sensor_id` and `tenant`; app-layer objects
(http, dns, tls …) pass through as they are. The batch envelope is strict:
unknown envelope fields are rejected, so that agent and collector cannot drift
apart silently. Bump SCHEMA_VERSION on any incompatible change.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
BATCHES_PATH = "/api/v1/batches"


class AlertInfo(BaseModel):
    """EVE's `alert` object."""

    model_config = ConfigDict(extra="allow")

    action: str
    gid: int
    signature_id: int
    rev: int
    signature: str
    category: str
    severity: int = Field(ge=1, le=255)
    metadata: dict[str, list[str]] | None = None


class AlertRecord(BaseModel):
    """One EVE alert record as it travels on the wire."""

    model_config = ConfigDict(extra="allow")

    alert_id: str = Field(min_length=1, max_length=64)
    sensor_id: str | None = None
    tenant: str | None = None
    timestamp: str
    flow_id: int | None = None
    event_type: str = Field(pattern="^alert$")
    src_ip: str
    src_port: int | None = None
    dest_ip: str
    dest_port: int | None = None
    proto: str
    app_proto: str | None = None
    alert: AlertInfo


class AgentCounters(BaseModel):
    """What the agent says about its own queue with each batch.

    Totals are persistent on the agent (they survive restarts) except where
    noted; `queued`, `queue_bytes` and `oldest_queued_age` are gauges taken
    when the batch was built. Lost alerts are `evicted + poison` plus the
    unknown contents of `corrupt` queue files moved aside.
    """

    model_config = ConfigDict(extra="allow")

    queued: int = 0
    sent: int = 0  # alerts put on the wire, retries included
    acknowledged: int = 0  # alerts the collector answered 2xx for
    evicted: int = 0
    # Optional since schema 1 (older agents omit them).
    appended: int | None = None
    duplicates: int | None = None  # acknowledged alerts the collector already had
    poison: int | None = None
    corrupt: int | None = None  # queue files moved aside as unreadable
    queue_bytes: int | None = None
    oldest_queued_age: float | None = None  # seconds; None when the queue is empty


class AlertBatch(BaseModel):
    """POST /api/v1/batches body."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    batch_id: str = Field(min_length=1, max_length=64)
    sensor_id: str = Field(min_length=1, max_length=128)
    sent_at: str
    alerts: list[AlertRecord]
    counters: AgentCounters | None = None


class BatchResult(BaseModel):
    """The collector's answer to a batch."""

    batch_id: str
    received: int
    stored: int
    duplicates: int


def alert_to_wire(record: dict[str, Any]) -> dict[str, Any]:
    """Validate an EVE alert record (with alert_id) for sending; returns it as JSON data."""
    return AlertRecord.model_validate(record).model_dump(mode="json", exclude_none=True)
