"""The public shapes of GET /api/v1/alerts/{id}: what the alert detail page shows.

Owns the pydantic models the API answers with (and OpenAPI documents). Does
not build them: decode.py, rules.py, related.py and routes.py do.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, computed_field


class HexLine(BaseModel):
    """One line of a hex dump: 16 bytes at `offset`, as hex and as printable ASCII."""

    offset: int
    hex: str
    ascii: str


class ProtoField(BaseModel):
    """One line of tshark's protocol tree (a PDML field)."""

    name: str = Field(description="display filter field name, e.g. ip.src ('' for text lines)")
    showname: str = Field(description="the line as Wireshark shows it")
    value: str = Field(description="the field's display value")
    pos: int | None = Field(default=None, description="offset of the field in the frame")
    size: int | None = Field(default=None, description="length of the field in bytes")


class ProtoLayer(BaseModel):
    """One protocol of the dissected frame (frame, eth, ip, tcp, http …)."""

    name: str
    fields: list[ProtoField]


class PacketView(BaseModel):
    """The EVE `packet` (the whole frame), dumped and dissected.

    `available` is false, with `reason`, when the alert carries no packet or
    one that cannot be read. A packet whose bytes are fine but that tshark
    could not dissect keeps its hex dump and says why in `dissection_error`.
    """

    available: bool
    reason: str | None = None
    linktype: int | None = None
    length: int = 0
    hexdump: list[HexLine] = Field(default_factory=list)
    layers: list[ProtoLayer] = Field(default_factory=list)
    dissection_error: str | None = None
    note: str | None = Field(default=None, description="how the packet was read, when unusual")


class PayloadView(BaseModel):
    """The EVE `payload` (the application bytes of the triggering packet), dumped."""

    available: bool
    reason: str | None = None
    length: int = 0
    hexdump: list[HexLine] = Field(default_factory=list)
    printable: str | None = None


class RuleInfo(BaseModel):
    """The rule behind an alert, as found in the rule files the collector knows."""

    known: bool
    gid: int
    sid: int
    rev: int = Field(description="the rev the alert names")
    text: str | None = None
    source: str | None = Field(default=None,
                               description="the rule file (or bundle member) it is from")
    found_rev: int | None = Field(default=None, description="the rev of the rule text found")
    enabled: bool | None = Field(default=None,
                                 description="false when the rule is commented out there")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rev_matches(self) -> bool:
        """True when the text found is the rev the alert names."""
        return self.found_rev == self.rev


class RelatedAlert(BaseModel):
    """A short line for another alert, with its detail links."""

    id: int
    timestamp: str
    sensor_id: str
    signature_id: int
    signature: str
    severity: int
    src_ip: str
    src_port: int | None
    dest_ip: str
    dest_port: int | None
    proto: str
    href: str
    api: str


class HostAlerts(BaseModel):
    """Other alerts of the same tenant in which `ip` is the source or the destination."""

    ip: str
    alerts: list[RelatedAlert]


class RelatedAlerts(BaseModel):
    """Links from one alert to the others of its flow and its hosts, newest first."""

    flow: list[RelatedAlert]
    hosts: list[HostAlerts]
    limit: int


class AlertDetail(BaseModel):
    """Everything known about one alert."""

    id: int
    alert_id: str
    sensor_id: str
    tenant: str
    received_at: str
    eve: dict[str, Any] = Field(description="the stored EVE record, every field as received")
    rule: RuleInfo
    packet: PacketView
    payload: PayloadView
    related: RelatedAlerts
