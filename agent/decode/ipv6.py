"""IPv6 header decoding, extension headers skipped (Suricata's decode-ipv6.c).

Fills Packet.ip6, the addresses and `proto` (the upper-layer protocol found
after hop-by-hop, routing, destination-options, fragment and AH headers) and
returns (proto, transport offset, end of datagram). It does not reassemble:
a non-first fragment gets no transport decode. Jumbograms (payload length 0
with a hop-by-hop jumbo option) are not supported: they decode as empty.
"""

from __future__ import annotations

import socket
import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import IPv6Header, Packet

IPV6_HEADER_LEN = 40
NH_HOPOPTS = 0
NH_ROUTING = 43
NH_FRAGMENT = 44
NH_AH = 51
NH_NONE = 59
NH_DSTOPTS = 60
# Headers shaped <next header, length in 8-octet units minus one>.
_GENERIC_EXT = frozenset((NH_HOPOPTS, NH_ROUTING, NH_DSTOPTS))

# ver/tc/flow label, payload length, next header, hop limit, src, dst
_HDR = struct.Struct("!IHBB16s16s")
_FRAG = struct.Struct("!BxH")  # next header, reserved, offset(13)/res(2)/M(1)

_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6
_from_bytes = int.from_bytes


def decode(pkt: Packet, off: int) -> tuple[int, int, int] | None:
    """Decode the IPv6 header at `off`; None when malformed or a later fragment."""
    raw = pkt.raw
    avail = len(raw) - off
    if avail < IPV6_HEADER_LEN:
        pkt.events.append(DecodeEvent.IPV6_PKT_TOO_SMALL)
        return None
    vtf, plen, nh, hlim, src, dst = _HDR.unpack_from(raw, off)
    if vtf >> 28 != 6:
        pkt.events.append(DecodeEvent.IPV6_WRONG_IP_VER)
        return None
    if avail - IPV6_HEADER_LEN < plen:
        pkt.events.append(DecodeEvent.IPV6_TRUNC_PKT)
        return None
    pkt.ip_version = 6
    pkt.src_ip = _ntop(_AF_INET6, src)
    pkt.dst_ip = _ntop(_AF_INET6, dst)
    pkt.src_addr = _from_bytes(src, "big")
    pkt.dst_addr = _from_bytes(dst, "big")
    end = off + IPV6_HEADER_LEN + plen
    pkt.l3_offset = off
    walked = _skip_ext_headers(pkt, nh, off + IPV6_HEADER_LEN, end)
    proto, l4off, later_fragment = walked if walked else (NH_NONE, end, False)
    pkt.ip6 = IPv6Header((vtf >> 20) & 0xFF, vtf & 0xFFFFF, plen, nh, hlim, proto)
    pkt.proto = proto
    pkt.l4_offset = l4off
    pkt.l4_end = end
    if walked is None or later_fragment or proto == NH_NONE:
        return None
    return proto, l4off, end


def _skip_ext_headers(
    pkt: Packet, nh: int, off: int, end: int
) -> tuple[int, int, bool] | None:
    """Follow the extension-header chain; (upper proto, offset, later fragment?)."""
    raw = pkt.raw
    later_fragment = False
    while True:
        if nh in _GENERIC_EXT or nh == NH_AH:
            if end - off < 8:
                break
            hlen = (raw[off + 1] + 2) * 4 if nh == NH_AH else (raw[off + 1] + 1) * 8
        elif nh == NH_FRAGMENT:
            if end - off < 8:
                break
            hlen = 8
            if _FRAG.unpack_from(raw, off)[1] >> 3:
                later_fragment = True
        else:
            return nh, off, later_fragment
        if end - off < hlen:
            break
        nh = raw[off]
        off += hlen
    pkt.events.append(DecodeEvent.IPV6_TRUNC_EXTHDR)
    return None
