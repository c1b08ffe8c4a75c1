"""The Packet record and the per-layer header records the decoders fill in.

A Packet is created by a capture source (raw bytes, timestamp, link type),
filled in layer by layer by the decoders, then annotated by the flow stage
(`flow`, `to_server`, `established`). Detection reads it; nothing after
detection mutates it. This module holds records only, no decoding logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agent.decode.events import DecodeEvent

if TYPE_CHECKING:
    from agent.flow.flow import Flow

# Link types (pcap LINKTYPE_* values) the decoders understand.
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58

# TCP flag bits, as in the header's flags byte (plus ECE/CWR).
TH_FIN = 0x01
TH_SYN = 0x02
TH_RST = 0x04
TH_PUSH = 0x08
TH_ACK = 0x10
TH_URG = 0x20
TH_ECE = 0x40
TH_CWR = 0x80


@dataclass(slots=True, frozen=True)
class IPv4Header:
    hlen: int  # header length in bytes
    tos: int
    total_len: int
    ident: int
    flags: int  # the 3 flag bits (RF, DF, MF) as 0..7
    frag_offset: int  # in 8-byte units
    ttl: int
    proto: int
    checksum: int


@dataclass(slots=True, frozen=True)
class IPv6Header:
    traffic_class: int
    flow_label: int
    payload_len: int
    next_header: int  # the first next-header value (before extension headers)
    hop_limit: int
    proto: int  # the upper-layer protocol after extension headers


@dataclass(slots=True, frozen=True)
class TCPHeader:
    sport: int
    dport: int
    seq: int
    ack: int
    hlen: int  # data offset in bytes
    flags: int
    window: int
    checksum: int
    urgent: int
    options: bytes


@dataclass(slots=True, frozen=True)
class UDPHeader:
    sport: int
    dport: int
    length: int
    checksum: int


@dataclass(slots=True, frozen=True)
class ICMPHeader:
    type: int
    code: int
    checksum: int
    rest: int  # the 4 bytes after the checksum (id/seq for echo), as an int
    v6: bool


@dataclass(slots=True, frozen=True)
class ICMPEmbedded:
    """The IPv4 header (and ports) quoted inside an ICMPv4 error message.

    Suricata uses it to file a destination-unreachable error under the flow
    that caused it (flow-hash.c FlowCompareICMPv4).
    """

    proto: int
    src_addr: int
    dst_addr: int
    sp: int
    dp: int


@dataclass(slots=True)
class Packet:
    """One captured frame and everything decoded from it."""

    ts: float  # capture time, seconds since the epoch
    raw: bytes
    linktype: int = LINKTYPE_ETHERNET
    pcap_cnt: int = 0  # 1-based index in the capture, as Suricata counts
    events: list[DecodeEvent] = field(default_factory=list)

    eth_src: bytes | None = None
    eth_dst: bytes | None = None
    vlan_ids: tuple[int, ...] = ()

    ip_version: int = 0  # 4, 6, or 0 when there is no IP layer
    src_ip: str = ""
    dst_ip: str = ""
    src_addr: int = 0  # the address as an integer, for fast CIDR tests
    dst_addr: int = 0
    ip4: IPv4Header | None = None
    ip6: IPv6Header | None = None

    proto: int = 0  # the transport protocol number (6, 17, 1, 58 …)
    sp: int = 0
    dp: int = 0
    tcp: TCPHeader | None = None
    udp: UDPHeader | None = None
    icmp: ICMPHeader | None = None
    payload: bytes = b""  # the transport payload (application bytes)
    icmp_emb: ICMPEmbedded | None = None  # ICMPv4 errors quoting a TCP/UDP packet

    # Offsets into `raw`, for checksum validation and raw-byte keywords:
    # start of the IP header, start of the transport header, end of the IP
    # datagram (IP total length, so Ethernet padding is excluded).
    l3_offset: int = -1
    l4_offset: int = -1
    l4_end: int = -1

    # Filled in by the flow stage.
    flow: Flow | None = None
    to_server: bool = True
    established: bool = False

    @property
    def invalid(self) -> bool:
        """True when the decoders stopped early on a malformed header."""
        return bool(self.events)
