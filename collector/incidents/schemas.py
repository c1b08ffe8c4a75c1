"""The incident and saved-filter API's request and response bodies (pydantic).

Owns: what crosses the HTTP boundary — validated requests (state change,
assignment, note, suppression, saved filter) and the public shapes of an
incident, a note and a saved filter. Times are ISO 8601 in UTC; the console
shows them in Asia/Tokyo. Does not own: the tables (models.py) or rules
about who may do what (routes.py, triage.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collector.incidents.models import Incident, IncidentNote, SavedFilter
from uplink.schema import RuleOverride

MAX_NOTE_CHARS = 10_000
MAX_QUERY_CHARS = 2_000


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateChange(_Request):
    """Move an incident to `state`, optionally with a note saying why."""

    state: str = Field(max_length=32)
    note: str | None = Field(None, min_length=1, max_length=MAX_NOTE_CHARS)


class Assignment(_Request):
    """Assign the incident to `assignee` (a username), or unassign it with null."""

    assignee: str | None = Field(min_length=1, max_length=128)


class NoteCreate(_Request):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class SuppressRequest(_Request):
    """Stop this alert on the tenant's boxes, and resolve the incident as a false positive.

    `scope`: "source" suppresses the sid for the incident's source address,
    "rule" the whole sid, "threshold" limits it (threshold.config `threshold`:
    `type`, `track`, `count` per `seconds`).
    """

    scope: Literal["source", "rule", "threshold"] = "source"
    type: Literal["limit", "threshold", "both"] = "limit"
    track: Literal["by_src", "by_dst", "by_rule", "by_both"] = "by_src"
    count: int | None = Field(None, ge=1, le=1_000_000)
    seconds: int | None = Field(None, ge=1, le=31 * 86400)
    reason: str = Field("", max_length=1000)

    @model_validator(mode="after")
    def _threshold_needs_rate(self) -> SuppressRequest:
        if self.scope == "threshold" and (self.count is None or self.seconds is None):
            raise ValueError("a threshold needs count and seconds")
        return self


class SavedFilterCreate(_Request):
    """A named query string of GET /api/v1/alerts (or /incidents): `tenant=x&min_severity=1`."""

    name: str = Field(min_length=1, max_length=128)
    query: str = Field(max_length=MAX_QUERY_CHARS)


class IncidentPublic(BaseModel):
    id: int
    tenant: str
    gid: int
    signature_id: int
    signature: str
    category: str
    severity: int
    src_ip: str
    dest_ip: str
    count: int
    first_seen: datetime
    last_seen: datetime
    sensors: list[str]
    state: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    escalated_at: datetime | None


class IncidentPage(BaseModel):
    incidents: list[IncidentPublic]
    next_before: str | None = Field(description="pass as `before` for the next page")


class NotePublic(BaseModel):
    id: int
    author: str
    at: datetime
    text: str


class IncidentDetail(BaseModel):
    incident: IncidentPublic
    allowed_transitions: list[str]
    notes: list[NotePublic]
    alerts: list[dict[str, Any]]
    next_before_id: int | None = Field(description="pass as `before_id` for older alerts")


class SuppressResult(BaseModel):
    incident: IncidentPublic
    override_id: int
    override: RuleOverride


class SavedFilterPublic(BaseModel):
    id: int
    name: str
    query: str
    created_at: datetime
    updated_at: datetime


def from_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def utc(when: datetime | None) -> datetime | None:
    """`when` with its UTC offset: SQLite gives back the stored UTC time without one."""
    return when if when is None or when.tzinfo else when.replace(tzinfo=UTC)


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def incident_public(row: Incident, sensors: list[str]) -> IncidentPublic:
    return IncidentPublic(
        id=row.id, tenant=row.tenant, gid=row.gid, signature_id=row.signature_id,
        signature=row.signature, category=row.category, severity=row.severity,
        src_ip=row.src_ip, dest_ip=row.dest_ip, count=row.count,
        first_seen=from_epoch(row.first_seen), last_seen=from_epoch(row.last_seen),
        sensors=sensors, state=row.state, assignee=row.assignee,
        created_at=_utc(row.created_at), updated_at=_utc(row.updated_at),
        resolved_at=utc(row.resolved_at), escalated_at=utc(row.escalated_at))


def note_public(row: IncidentNote) -> NotePublic:
    return NotePublic(id=row.id, author=row.author, at=_utc(row.at), text=row.text)


def saved_filter_public(row: SavedFilter) -> SavedFilterPublic:
    return SavedFilterPublic(id=row.id, name=row.name, query=row.query,
                             created_at=_utc(row.created_at), updated_at=_utc(row.updated_at))
