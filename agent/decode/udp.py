"""UDP header decoding (Suricata's decode-udp.c).

The payload is bounded by the UDP length field. Checksums are not checked
here (see checksum.py).
"""

from __future__ import annotations

import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import Packet, UDPHeader

UDP_HEADER_LEN = 8

_HDR = struct.Struct("!HHHH")  # sport, dport, length, checksum


def decode(pkt: Packet, off: int, end: int) -> None:
    """Decode the UDP datagram in raw[off:end]."""
    length = end - off
    if length < UDP_HEADER_LEN:
        pkt.events.append(DecodeEvent.UDP_HLEN_TOO_SMALL)
        return
    sport, dport, ulen, csum = _HDR.unpack_from(pkt.raw, off)
    if length < ulen:
        pkt.events.append(DecodeEvent.UDP_PKT_TOO_SMALL)
        return
    if length != ulen:
        pkt.events.append(DecodeEvent.UDP_HLEN_INVALID)
        return
    pkt.udp = UDPHeader(sport, dport, ulen, csum)
    pkt.sp = sport
    pkt.dp = dport
    pkt.payload = pkt.raw[off + UDP_HEADER_LEN : end]
