"""Link layers: Ethernet II, Linux cooked capture (SLL), BSD NULL/loopback, raw IP.

Each decoder returns (ethertype, offset of the next header) for the
dispatcher in agent/decode/__init__.py, or None after adding a DecodeEvent.
As in Suricata's decode-ethernet.c / decode-sll.c / decode-null.c /
decode-raw.c; this module does not look past the link header (VLAN tags are
vlan.py's, IP is ipv4.py's / ipv6.py's).
"""

from __future__ import annotations

import struct

from agent.decode import vlan
from agent.decode.events import DecodeEvent
from agent.decode.packet import Packet

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_IPV6 = 0x86DD

ETHERNET_HEADER_LEN = 14  # dst MAC (6), src MAC (6), EtherType (2)
SLL_HEADER_LEN = 16  # pkttype, arphrd, addr len, addr (8), protocol
NULL_HEADER_LEN = 4  # address family, in the capturing host's byte order

_U16 = struct.Struct("!H")
_U32_LE = struct.Struct("<I")

# BSD AF_INET6 differs per OS: NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30.
_NULL_AF_IPV4 = 2
_NULL_AF_IPV6 = frozenset((24, 28, 30))


def decode_ethernet(pkt: Packet) -> tuple[int, int] | None:
    """Ethernet II header, then any VLAN tags."""
    raw = pkt.raw
    if len(raw) < ETHERNET_HEADER_LEN:
        pkt.events.append(DecodeEvent.ETHERNET_PKT_TOO_SMALL)
        return None
    pkt.eth_dst = raw[0:6]
    pkt.eth_src = raw[6:12]
    etype = _U16.unpack_from(raw, 12)[0]
    if etype in vlan.VLAN_TYPES:
        return vlan.skip_tags(pkt, etype, ETHERNET_HEADER_LEN)
    return etype, ETHERNET_HEADER_LEN


def decode_sll(pkt: Packet) -> tuple[int, int] | None:
    """Linux cooked capture v1 (LINKTYPE_LINUX_SLL): protocol at offset 14."""
    raw = pkt.raw
    if len(raw) < SLL_HEADER_LEN:
        pkt.events.append(DecodeEvent.SLL_PKT_TOO_SMALL)
        return None
    etype = _U16.unpack_from(raw, 14)[0]
    if etype in vlan.VLAN_TYPES:
        return vlan.skip_tags(pkt, etype, SLL_HEADER_LEN)
    return etype, SLL_HEADER_LEN


def decode_null(pkt: Packet) -> tuple[int, int] | None:
    """BSD loopback: a 4-byte address family in the *capturing* host's order."""
    raw = pkt.raw
    if len(raw) < NULL_HEADER_LEN:
        pkt.events.append(DecodeEvent.NULL_PKT_TOO_SMALL)
        return None
    family = _U32_LE.unpack_from(raw, 0)[0]
    if family > 0xFFFF:  # written by a big-endian host
        family = int.from_bytes(raw[0:4], "big")
    if family == _NULL_AF_IPV4:
        return ETHERTYPE_IPV4, NULL_HEADER_LEN
    if family in _NULL_AF_IPV6:
        return ETHERTYPE_IPV6, NULL_HEADER_LEN
    pkt.events.append(DecodeEvent.NULL_UNSUPPORTED_TYPE)
    return None


def decode_raw(pkt: Packet) -> tuple[int, int] | None:
    """Raw IP (LINKTYPE_RAW): the version nibble says IPv4 or IPv6."""
    raw = pkt.raw
    if not raw:
        pkt.events.append(DecodeEvent.PKT_TOO_SMALL)
        return None
    version = raw[0] >> 4
    if version == 4:
        return ETHERTYPE_IPV4, 0
    if version == 6:
        return ETHERTYPE_IPV6, 0
    pkt.events.append(DecodeEvent.IPRAW_INVALID_IPV)
    return None


def decode_raw_ipv4(pkt: Packet) -> tuple[int, int] | None:
    """LINKTYPE_IPV4 (228): the frame is an IPv4 datagram."""
    return ETHERTYPE_IPV4, 0


def decode_raw_ipv6(pkt: Packet) -> tuple[int, int] | None:
    """LINKTYPE_IPV6 (229): the frame is an IPv6 datagram."""
    return ETHERTYPE_IPV6, 0
