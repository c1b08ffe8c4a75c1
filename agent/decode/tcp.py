"""TCP header decoding (Suricata's decode-tcp.c): header fields, raw options, payload.

Options are kept as raw bytes (TCPHeader.options); nothing here parses them
or tracks stream state (that is agent/flow/tcp_state.py).
"""

from __future__ import annotations

import struct

from agent.decode.events import DecodeEvent
from agent.decode.packet import Packet, TCPHeader

TCP_HEADER_LEN = 20
TCP_OPTLENMAX = 40

# sport, dport, seq, ack, data offset/reserved, flags, window, checksum, urgent
_HDR = struct.Struct("!HHIIBBHHH")


def decode(pkt: Packet, off: int, end: int) -> None:
    """Decode the TCP segment in raw[off:end]."""
    raw = pkt.raw
    length = end - off
    if length < TCP_HEADER_LEN:
        pkt.events.append(DecodeEvent.TCP_PKT_TOO_SMALL)
        return
    sport, dport, seq, ack, doff, flags, win, csum, urg = _HDR.unpack_from(raw, off)
    hlen = (doff >> 4) << 2
    if length < hlen:
        pkt.events.append(DecodeEvent.TCP_HLEN_TOO_SMALL)
        return
    if hlen < TCP_HEADER_LEN:
        # Suricata computes hlen - 20 as an unsigned option length, so a data
        # offset below 5 surfaces as an invalid option length.
        pkt.events.append(DecodeEvent.TCP_INVALID_OPTLEN)
        return
    options = raw[off + TCP_HEADER_LEN : off + hlen] if hlen > TCP_HEADER_LEN else b""
    pkt.tcp = TCPHeader(sport, dport, seq, ack, hlen, flags, win, csum, urg, options)
    pkt.sp = sport
    pkt.dp = dport
    pkt.payload = raw[off + hlen : end]
