"""The `ttl` keyword (detect-ttl.c): IPv4 TTL or IPv6 hop limit (u8); no IP header, no match."""

from __future__ import annotations

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from agent.detect.uint import UintMatch, parse_uint


def match(pkt: Packet, value: UintMatch) -> bool:
    if pkt.ip4 is not None:
        return value.matches(pkt.ip4.ttl)
    if pkt.ip6 is not None:
        return value.matches(pkt.ip6.hop_limit)
    return False


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.matches.append(PacketMatch("ttl", match, parse_uint(text, 8, "ttl")))


KEYWORD = Keyword("ttl", "IP time to live", setup,
                  "https://docs.suricata.io/en/latest/rules/header-keywords.html#ttl")
