"""IPv4 header decoding (Suricata's decode-ipv4.c, without defragmentation).

Fills Packet.ip4, the addresses and `proto`, and returns (proto, offset of the
transport header, end of the datagram) so the dispatcher can run the
transport decoder. The end is taken from the IP total length, which trims
Ethernet padding off short frames. Options are skipped, not parsed.

Fragments: this module does not reassemble. A non-first fragment (offset > 0)
gets no transport decode; a first fragment is decoded as far as it goes.
"""

from __future__ import annotations

import socket
import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import IPv4Header, Packet

IPV4_HEADER_LEN = 20
IP_RF = 0x4  # reserved ("evil") bit
IP_DF = 0x2  # don't fragment
IP_MF = 0x1  # more fragments

# ver/ihl, tos, total length, id, flags/frag offset, ttl, proto, checksum, src, dst
_HDR = struct.Struct("!BBHHHBBH4s4s")

_ntop = socket.inet_ntop
_AF_INET = socket.AF_INET
_from_bytes = int.from_bytes


def decode(pkt: Packet, off: int) -> tuple[int, int, int] | None:
    """Decode the IPv4 header at `off`; None when it is malformed."""
    raw = pkt.raw
    avail = len(raw) - off
    if avail < IPV4_HEADER_LEN:
        pkt.events.append(DecodeEvent.IPV4_PKT_TOO_SMALL)
        return None
    verihl, tos, total_len, ident, fragw, ttl, proto, csum, src, dst = _HDR.unpack_from(raw, off)
    if verihl >> 4 != 4:
        pkt.events.append(DecodeEvent.IPV4_WRONG_IP_VER)
        return None
    hlen = (verihl & 0x0F) << 2
    if hlen < IPV4_HEADER_LEN:
        pkt.events.append(DecodeEvent.IPV4_HLEN_TOO_SMALL)
        return None
    if total_len < hlen:
        pkt.events.append(DecodeEvent.IPV4_IPLEN_SMALLER_THAN_HLEN)
        return None
    if avail < total_len:
        pkt.events.append(DecodeEvent.IPV4_TRUNC_PKT)
        return None
    frag_offset = fragw & 0x1FFF
    pkt.ip4 = IPv4Header(
        hlen, tos, total_len, ident, fragw >> 13, frag_offset, ttl, proto, csum
    )
    pkt.ip_version = 4
    pkt.src_ip = _ntop(_AF_INET, src)
    pkt.dst_ip = _ntop(_AF_INET, dst)
    pkt.src_addr = _from_bytes(src, "big")
    pkt.dst_addr = _from_bytes(dst, "big")
    pkt.proto = proto
    pkt.l3_offset = off
    pkt.l4_offset = off + hlen
    pkt.l4_end = off + total_len
    if frag_offset:
        return None  # a later fragment: its bytes are not a transport header
    return proto, off + hlen, off + total_len
