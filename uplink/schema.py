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
HEARTBEAT_PATH = "/api/v1/heartbeat"
ENROLL_PATH = "/api/v1/enroll"
# What a sensor id may look like: it ends up in file names, URLs and logs.
SENSOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


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


# -- fleet: enrollment and heartbeats (schema 1 additions) -----------------------------


class EnrollRequest(BaseModel):
    """POST /api/v1/enroll body: an enrollment token exchanged for a sensor credential."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=256)
    hostname: str = Field(min_length=1, max_length=253)
    # Absent: the collector derives the id from the hostname (re-enrolling the
    # same hostname in the same tenant rotates that sensor's credential).
    sensor_id: str | None = Field(None, pattern=SENSOR_ID_PATTERN)
    version: str | None = Field(None, max_length=64)


class EnrollAnswer(BaseModel):
    """The collector's answer to an enrollment: who the box is and how it authenticates."""

    model_config = ConfigDict(extra="allow")

    sensor_id: str
    tenant: str
    credential: str  # the sensor's bearer token; shown once, only its sha256 is kept
    ca_pem: str | None = None  # the collector's CA certificate, to pin
    heartbeat_interval: float
    rotated: bool = False  # True when an existing sensor got a new credential


class HostStats(BaseModel):
    """The box itself; every field is optional (not every board has a thermometer)."""

    model_config = ConfigDict(extra="allow")

    cpu_percent: float | None = None
    load_1m: float | None = None
    memory_percent: float | None = None
    disk_percent: float | None = None  # of the filesystem holding the agent's data_dir
    temperature_c: float | None = None


class Heartbeat(BaseModel):
    """POST /api/v1/heartbeat body: a sensor's state, every `interval` seconds.

    `counters` carries queue depth and age and evictions exactly as batches do;
    `engine` is Agent.engine_info() and `engine_health` its health snapshot,
    both free-form (they differ between Suricata and the builtin engine).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    sensor_id: str = Field(min_length=1, max_length=128)
    tenant: str | None = Field(None, max_length=128)
    sent_at: str  # ISO 8601 with offset, the sensor's clock (for skew)
    interval: float | None = Field(None, gt=0)
    version: str = Field(max_length=64)
    uptime: float = Field(ge=0)
    rules_version: str | None = Field(None, max_length=128)
    packets: int | None = Field(None, ge=0)
    drops: int | None = Field(None, ge=0)
    counters: AgentCounters | None = None
    engine: dict[str, Any] = Field(default_factory=dict)
    engine_health: dict[str, Any] = Field(default_factory=dict)
    host: HostStats = Field(default_factory=HostStats)
    ruleset: RulesetStatus | None = None


class RuleOverride(BaseModel):
    """A per-tenant change layered on a bundle at delivery (issue 6 item 3).

    Overrides can only take alerting away (disable a rule, suppress or
    threshold its alerts), never add detection: that is why they may travel
    unsigned by the vendor key, over the sensor's authenticated channel.
    `kind`: "disable" drops the rule; "suppress" is threshold.config's
    `suppress` (with `track`/`ip`: only for that address); "threshold" is
    threshold.config's `threshold` (`type` limit|threshold|both, `track`
    by_src|by_dst|by_rule|by_both, `count` per `seconds`).
    """

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern="^(disable|suppress|threshold)$")
    gid: int = Field(1, ge=0, le=2**32 - 1)
    sid: int = Field(ge=1, le=2**32 - 1)
    track: str | None = Field(None, pattern="^(by_src|by_dst|by_rule|by_both|by_either)$")
    ip: str | None = Field(None, max_length=64)
    type: str | None = Field(None, pattern="^(limit|threshold|both)$")
    count: int | None = Field(None, ge=1)
    seconds: int | None = Field(None, ge=1)


class RulesetOffer(BaseModel):
    """The rule bundle a sensor should run, named in the heartbeat answer.

    `version` is the signed bundle's manifest version; `effective_version` is
    what the sensor reports once it runs it with `overrides` applied
    ("<version>+o<digest>", or `version` when there are none). `rollback`
    marks an automatic canary rollback: the sensor may go back to `version`
    only if it is the bundle it itself ran before (kept on disk), never to
    any other older bundle (downgrades stay refused).
    """

    model_config = ConfigDict(extra="allow")

    version: str
    channel: str
    url: str  # where to GET the bundle (conditional GET on its ETag)
    sha256: str  # of the bundle file, before its signature is checked
    size: int | None = None
    effective_version: str | None = None
    overrides: list[RuleOverride] = Field(default_factory=list)
    rollback: bool = False


class RulesetStatus(BaseModel):
    """What the sensor says about its ruleset in every heartbeat."""

    model_config = ConfigDict(extra="allow")

    running: str | None = None  # effective version running now
    bundle: str | None = None  # bundle (manifest) version running now, None for local rules
    offered: str | None = None  # the effective version last offered
    state: str = Field("idle", pattern="^(idle|downloading|testing|swapping|ok|failed|refused)$")
    reason: str | None = Field(None, max_length=2000)  # why the last update failed or was refused
    updated_at: str | None = None  # ISO 8601, when `running` last changed
    rules_loaded: int | None = None
    rules_skipped: int | None = None


class HeartbeatAnswer(BaseModel):
    """The collector's answer to a heartbeat.

    Extra fields are allowed so an older agent keeps working with a newer collector.
    """

    model_config = ConfigDict(extra="allow")

    server_time: str  # ISO 8601, UTC
    next_interval: float = Field(gt=0)
    clock_skew: float | None = None  # seconds the sensor's clock is ahead (negative: behind)
    clock_skew_flagged: bool = False
    ruleset: RulesetOffer | None = None
Heartbeat.model_rebuild()  # `ruleset` names RulesetStatus, defined below it
