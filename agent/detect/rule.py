"""The Rule record (the parsed, frozen signature) and the builder keywords fill in.

Owns the data shape of a signature: header (action, protocol, addresses,
ports, direction), meta (sid, gid, rev, msg, classtype, priority, metadata,
references), the payload content list and the packet keyword lists. It does
not parse text (parse.py) and does not match packets (engine.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.detect.addresses import AddressSet
from agent.detect.content import Content, ContentDraft
from agent.detect.ports import PortSet
from agent.detect.threshold import ThresholdSpec
from yamori.errors import RuleParseError

if TYPE_CHECKING:
    from agent.decode.packet import Packet

DEFAULT_PRIORITY = 3  # Suricata's DETECT_DEFAULT_PRIO

MatchFn = Callable[["Packet", Any], bool]
PostFn = Callable[["Packet", Any], None]


@dataclass(slots=True, frozen=True)
class ProtoSpec:
    """The header protocol: a set of IP protocol numbers, or any (ip)."""

    name: str
    protos: frozenset[int]  # empty means any IP protocol
    ip_version: int = 0  # 4 or 6 for ipv4/ipv6 rules, 0 for both

    def matches(self, ip_version: int, proto: int) -> bool:
        if self.ip_version and self.ip_version != ip_version:
            return False
        return not self.protos or proto in self.protos


@dataclass(slots=True, frozen=True)
class Header:
    action: str
    proto: ProtoSpec
    src: AddressSet
    sp: PortSet
    dst: AddressSet
    dp: PortSet
    bidirectional: bool


@dataclass(slots=True, frozen=True)
class PacketMatch:
    """One packet keyword in a rule: its name, its match function and parsed value."""

    name: str
    fn: MatchFn
    value: Any
    ip_only_compat: bool = False


@dataclass(slots=True, frozen=True)
class PostMatch:
    """An action run when the whole rule matched (flowbits:set …)."""

    name: str
    fn: PostFn
    value: Any


@dataclass(slots=True, frozen=True)
class Rule:
    header: Header
    sid: int
    gid: int
    rev: int
    msg: str
    classtype: str | None
    category: str  # the classification description, "" when none
    priority: int
    metadata: dict[str, list[str]]
    references: tuple[tuple[str, str], ...]
    contents: tuple[Content, ...]
    matches: tuple[PacketMatch, ...]
    postmatches: tuple[PostMatch, ...]
    noalert: bool
    flowbits_order: int  # Suricata's sig ordering rank: set 4, set+read 3, read 2, none 1
    ip_only: bool
    to_server_only: bool  # flow:to_server / from_client
    to_client_only: bool
    text: str
    file: str | None = None
    line: int | None = None
    threshold: ThresholdSpec | None = None  # threshold / detection_filter

    @property
    def action(self) -> str:
        return self.header.action


@dataclass(slots=True)
class RuleBuilder:
    """What keyword setup functions fill in while a rule's options are parsed."""

    classifications: dict[str, tuple[str, int]]
    sid: int | None = None
    gid: int | None = None
    rev: int | None = None
    msg: str | None = None
    classtype: str | None = None
    category: str = ""
    class_priority: int | None = None
    priority: int | None = None
    metadata: dict[str, list[str]] = field(default_factory=dict)
    references: list[tuple[str, str]] = field(default_factory=list)
    contents: list[ContentDraft] = field(default_factory=list)
    matches: list[PacketMatch] = field(default_factory=list)
    postmatches: list[PostMatch] = field(default_factory=list)
    noalert: bool = False
    flowbits_set: bool = False
    flowbits_read: bool = False
    flow_seen: bool = False
    to_server_only: bool = False
    to_client_only: bool = False
    seen: set[str] = field(default_factory=set)
    threshold: ThresholdSpec | None = None

    def once(self, name: str) -> None:
        """Reject a second use of a keyword Suricata allows only once."""
        if name in self.seen:
            raise RuleParseError(f"duplicated '{name}' keyword")
        self.seen.add(name)

    def last_content(self, modifier: str) -> ContentDraft:
        if not self.contents:
            raise RuleParseError(f"'{modifier}' needs a preceding content")
        return self.contents[-1]

    def final_priority(self) -> int:
        if self.priority is not None:
            return self.priority
        if self.class_priority is not None:
            return self.class_priority
        return DEFAULT_PRIORITY
