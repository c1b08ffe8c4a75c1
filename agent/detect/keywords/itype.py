"""The `itype` keyword (detect-itype.c): the ICMPv4/ICMPv6 type (u8); no ICMP, no match."""

from __future__ import annotations

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from agent.detect.uint import UintMatch, parse_uint


def match(pkt: Packet, value: UintMatch) -> bool:
    return pkt.icmp is not None and value.matches(pkt.icmp.type)


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.matches.append(PacketMatch("itype", match, parse_uint(text, 8, "itype")))


KEYWORD = Keyword("itype", "ICMP type", setup,
                  "https://docs.suricata.io/en/latest/rules/header-keywords.html#itype")
