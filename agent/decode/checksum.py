"""Checksum validation for decoded packets (IPv4 header, TCP/UDP/ICMP/ICMPv6).

Used to honour Suricata's checksum-validation semantics (ipv4-csum,
tcpv4-csum, udpv6-csum … keywords, and stream checksum validation). The
decoders never call this: validating costs time and most packets never need
it. Functions answer False when the packet lacks the layer in question.

The ones'-complement sum uses one big-integer reduction: since 2**16 == 1
(mod 0xFFFF), the big-endian integer of the data is congruent to the sum of
its 16-bit words, and a correct checksum makes that sum "negative zero".
"""

from __future__ import annotations

import struct

from agent.decode.packet import IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, Packet

_from_bytes = int.from_bytes
_V4_PSEUDO = struct.Struct("!4s4sxBH")  # src, dst, zero, proto, length
_V6_PSEUDO = struct.Struct("!16s16sI3xB")  # src, dst, length, zeros, next header


def _sums_to_negative_zero(data: bytes) -> bool:
    if len(data) & 1:
        data += b"\x00"
    total = _from_bytes(data, "big")
    # All-zero input sums to +0, which is not a valid ones'-complement result.
    return total != 0 and total % 0xFFFF == 0


def ipv4_checksum_ok(pkt: Packet) -> bool:
    """True when the IPv4 header checksum is correct."""
    if pkt.ip4 is None:
        return False
    start = pkt.l3_offset
    return _sums_to_negative_zero(pkt.raw[start : start + pkt.ip4.hlen])


def l4_checksum_ok(pkt: Packet) -> bool:
    """True when the TCP, UDP, ICMP or ICMPv6 checksum is correct.

    A UDP-over-IPv4 checksum of 0 means "not computed" and is accepted
    (RFC 768); over IPv6 it is mandatory, so 0 is wrong (RFC 8200).
    """
    proto = pkt.proto
    if proto == IPPROTO_TCP and pkt.tcp is not None:
        return _sums_to_negative_zero(_pseudo(pkt) + _segment(pkt))
    if proto == IPPROTO_UDP and pkt.udp is not None:
        if pkt.udp.checksum == 0:
            return pkt.ip_version == 4
        return _sums_to_negative_zero(_pseudo(pkt) + _segment(pkt))
    if proto == IPPROTO_ICMP and pkt.icmp is not None and pkt.ip_version == 4:
        return _sums_to_negative_zero(_segment(pkt))  # no pseudo-header in ICMPv4
    if proto == IPPROTO_ICMPV6 and pkt.icmp is not None and pkt.ip_version == 6:
        return _sums_to_negative_zero(_pseudo(pkt) + _segment(pkt))
    return False


def _segment(pkt: Packet) -> bytes:
    return pkt.raw[pkt.l4_offset : pkt.l4_end]


def _pseudo(pkt: Packet) -> bytes:
    length = pkt.l4_end - pkt.l4_offset
    if pkt.ip_version == 4:
        src = pkt.src_addr.to_bytes(4, "big")
        dst = pkt.dst_addr.to_bytes(4, "big")
        return _V4_PSEUDO.pack(src, dst, pkt.proto, length)
    src = pkt.src_addr.to_bytes(16, "big")
    dst = pkt.dst_addr.to_bytes(16, "big")
    return _V6_PSEUDO.pack(src, dst, length, pkt.proto)
