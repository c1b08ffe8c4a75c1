"""The `icmp_id` keyword (detect-icmp-id.c): the ICMP echo-style identifier.

Matches ICMPv4 echo, timestamp, information and address-mask messages
(requests and replies) and ICMPv6 echo request/reply whose id equals the
option; any other packet never matches.
"""

from __future__ import annotations

from agent.decode.packet import Packet
from agent.detect.keywords._icmp_echo import id_and_seq, parse_u16
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder


def match(pkt: Packet, value: int) -> bool:
    fields = id_and_seq(pkt)
    return fields is not None and fields[0] == value


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.matches.append(PacketMatch("icmp_id", match, parse_u16("icmp_id", text)))


KEYWORD = Keyword("icmp_id", "ICMP id field", setup,
                  "https://docs.suricata.io/en/latest/rules/header-keywords.html#icmp-id")
