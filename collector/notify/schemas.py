"""The HTTP records of the notifier: Create/Update/Public per resource.

Owns: the pydantic models the routes accept and answer (contacts, notices with
their attempts, dispatches). Unknown fields are refused (422), times must
carry an offset. A contact's URL is only ever answered masked.
Does not own: validation that needs apprise or the database (contacts.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Lang = Literal["ja", "en"]
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
URL_DOC = ("an apprise URL: mailto://user:pass@smtp.example.jp?to=it@office.example, "
           "json://hooks.example/path, slack://…, workflows://… (Teams), discord://…")
SEVERITY_DOC = "Suricata severity, 1 = most severe: incident notices with severity <= this"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuietHours(_Strict):
    """A daily window in the contact's time zone; may run past midnight."""

    start: str = Field(pattern=HHMM, examples=["22:00"])
    end: str = Field(pattern=HHMM, examples=["07:00"])


class ContactCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=4000, description=URL_DOC)
    lang: Lang = "ja"
    min_severity: int = Field(3, ge=1, le=255, description=SEVERITY_DOC)
    quiet_hours: QuietHours | None = Field(
        None, description="low-severity notices (severity >= 3) wait until it ends")
    timezone: str | None = Field(None, description="IANA name; default: notify_timezone")
    enabled: bool = True


class ContactUpdate(_Strict):
    """Only the fields given change; `quiet_hours: null` removes the window."""

    name: str | None = Field(None, min_length=1, max_length=200)
    url: str | None = Field(None, min_length=1, max_length=4000, description=URL_DOC)
    lang: Lang | None = None
    min_severity: int | None = Field(None, ge=1, le=255, description=SEVERITY_DOC)
    quiet_hours: QuietHours | None = None
    timezone: str | None = None
    enabled: bool | None = None


class ContactPublic(BaseModel):
    id: int
    tenant: str | None
    name: str
    kind: str
    url: str = Field(description="masked: passwords and tokens are never answered in full")
    lang: str
    min_severity: int
    quiet_hours: QuietHours | None
    timezone: str
    enabled: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class DeliveryPublic(BaseModel):
    attempt: int
    at: datetime
    ok: bool
    error: str | None
    http_status: int | None
    seconds: float
    worker: str


class NoticePublic(BaseModel):
    id: int
    contact_id: int
    contact_name: str
    contact_kind: str
    tenant: str | None
    kind: str
    incident_id: int | None
    sensor_id: str | None
    thread_id: int | None
    severity: int
    state: str
    created_by: str
    created_at: datetime
    due_at: datetime
    held_until: datetime | None
    attempts: int
    sent_at: datetime | None
    last_error: str | None
    deliveries: list[DeliveryPublic]


class NoticePage(BaseModel):
    notices: list[NoticePublic]
    next_before_id: int | None


class TestNoticeResult(BaseModel):
    ok: bool
    error: str | None
    http_status: int | None
    notice: NoticePublic


class DispatchCreate(_Strict):
    tenant: str = Field(min_length=1, max_length=128)
    technician: str = Field(min_length=1, max_length=200, description="who was dispatched")
    reason: str = Field(min_length=1, max_length=4000, description="why")
    dispatched_at: AwareDatetime | None = Field(None, description="when; default: now")


class DispatchUpdate(_Strict):
    technician: str | None = Field(None, min_length=1, max_length=200)
    reason: str | None = Field(None, min_length=1, max_length=4000)
    arrived_at: AwareDatetime | None = None
    outcome: str | None = Field(None, max_length=8000)
    closed_at: AwareDatetime | None = None


class DispatchPublic(BaseModel):
    id: int
    incident_id: int
    tenant: str
    technician: str
    reason: str
    dispatched_at: datetime
    arrived_at: datetime | None
    outcome: str | None
    closed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
