"""TEMPLATE: copy to <keyword>.py, then add KEYWORD to the list in keywords/__init__.py.

Owns the `example` keyword: parsing its option once into a frozen value and the
pure match on a packet. Check Suricata's detect-<keyword>.c for the exact
semantics before implementing; if something cannot be honoured exactly, raise
RuleParseError(..., unsupported="example") instead of approximating.
"""

from __future__ import annotations

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from agent.detect.uint import UintMatch, parse_uint

NAME = "example"


def match(pkt: Packet, value: UintMatch) -> bool:
    return value.matches(len(pkt.payload))


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.matches.append(PacketMatch(NAME, match, parse_uint(text, 16, NAME)))


KEYWORD = Keyword(NAME, "an example keyword", setup)
