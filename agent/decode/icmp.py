"""ICMPv4 and ICMPv6 header decoding (Suricata's decode-icmpv4.c / decode-icmpv6.c).

Fills Packet.icmp and the payload (everything after the 8-byte header).
ICMP has no ports: Packet.sp/dp stay 0; the flow table keys ICMP flows on
type and counterpart type as Suricata does. For ICMPv4 destination-unreachable
messages the quoted IPv4 header and ports are kept in Packet.icmp_emb, which
the flow table uses to file the error under the flow that caused it.
"""

from __future__ import annotations

import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import ICMPEmbedded, ICMPHeader, Packet

ICMP_HEADER_LEN = 8
ICMP_DEST_UNREACH = 3
# ICMPv4 error messages (Suricata's ICMPV4_IS_ERROR_MSG): they never start a flow.
ICMPV4_ERROR_TYPES = frozenset((3, 4, 5, 11, 12))

# Request/reply pairs: the "counterpart" type Suricata keys ICMP flows on
# (ICMPv4GetCounterpart / ICMPv6GetCounterpart).
ICMPV4_COUNTERPART = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17}
ICMPV6_COUNTERPART = {
    128: 129, 129: 128,  # echo
    130: 131, 131: 130,  # MLD query / report
    133: 134, 134: 133,  # router solicit / advert
    135: 136, 136: 135,  # neighbour solicit / advert
    144: 145, 145: 144,  # home agent address discovery
    146: 147, 147: 146,  # mobile prefix solicit / advert
}

_HDR = struct.Struct("!BBHI")  # type, code, checksum, rest of header
_EMB_IP = struct.Struct("!B8xB2x4s4s")  # ver/ihl, ..., proto, ..., src, dst
_PORTS = struct.Struct("!HH")


def decode_v4(pkt: Packet, off: int, end: int) -> None:
    """Decode an ICMPv4 message in raw[off:end]."""
    if end - off < ICMP_HEADER_LEN:
        pkt.events.append(DecodeEvent.ICMPV4_PKT_TOO_SMALL)
        return
    itype, code, csum, rest = _HDR.unpack_from(pkt.raw, off)
    pkt.icmp = ICMPHeader(itype, code, csum, rest, False)
    pkt.payload = pkt.raw[off + ICMP_HEADER_LEN : end]
    if itype == ICMP_DEST_UNREACH:
        pkt.icmp_emb = _embedded(pkt.raw, off + ICMP_HEADER_LEN, end)


def decode_v6(pkt: Packet, off: int, end: int) -> None:
    """Decode an ICMPv6 message in raw[off:end]."""
    if end - off < ICMP_HEADER_LEN:
        pkt.events.append(DecodeEvent.ICMPV6_PKT_TOO_SMALL)
        return
    itype, code, csum, rest = _HDR.unpack_from(pkt.raw, off)
    pkt.icmp = ICMPHeader(itype, code, csum, rest, True)
    pkt.payload = pkt.raw[off + ICMP_HEADER_LEN : end]


def _embedded(raw: bytes, off: int, end: int) -> ICMPEmbedded | None:
    """The quoted IPv4 header plus the first 4 bytes of its TCP/UDP header."""
    if end - off < 20:
        return None
    verihl, proto, src, dst = _EMB_IP.unpack_from(raw, off)
    hlen = (verihl & 0x0F) << 2
    if verihl >> 4 != 4 or hlen < 20 or proto not in (6, 17) or end - off < hlen + 4:
        return None
    sp, dp = _PORTS.unpack_from(raw, off + hlen)
    return ICMPEmbedded(proto, int.from_bytes(src, "big"), int.from_bytes(dst, "big"), sp, dp)
