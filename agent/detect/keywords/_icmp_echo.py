"""Shared parts of icmp_id and icmp_seq (detect-icmp-id.c, detect-icmp-seq.c).

Owns which ICMP messages carry an identifier and sequence number (the ones
Suricata's ICMPv4/ICMPv6 decoders fill icmpv4vars.id/seq for) and the
option syntax: a decimal u16, optionally in balanced double quotes.
"""

from __future__ import annotations

import re

from agent.decode.packet import Packet
from yamori.errors import RuleParseError

# echo reply, echo, timestamp, timestamp reply, info request/reply, address mask request/reply
_V4_TYPES = frozenset({0, 8, 13, 14, 15, 16, 17, 18})
_V6_TYPES = frozenset({128, 129})  # echo request, echo reply
_RX = re.compile(r'^\s*("\s*)?([0-9]+)(\s*")?\s*$')


def id_and_seq(pkt: Packet) -> tuple[int, int] | None:
    """(identifier, sequence) of an ICMP message that has them, else None."""
    icmp = pkt.icmp
    if icmp is None:
        return None
    types = _V6_TYPES if icmp.v6 else _V4_TYPES
    if icmp.type not in types:
        return None
    return icmp.rest >> 16, icmp.rest & 0xFFFF


def parse_u16(name: str, text: str | None) -> int:
    m = _RX.match(text or "")
    if m is None or bool(m.group(1)) != bool(m.group(3)):
        raise RuleParseError(f"invalid {name} value {text!r}")
    value = int(m.group(2))
    if value > 0xFFFF:
        raise RuleParseError(f"{name} value {value} out of range")
    return value
