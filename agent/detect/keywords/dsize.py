"""The `dsize` keyword (detect-dsize.c): compare the packet payload size (u16).

Includes the payload requirement Suricata derives from dsize in its rule mask.
"""

from __future__ import annotations

from agent.decode.packet import Packet
from agent.detect.registry import Keyword
from agent.detect.rule import PacketMatch, RuleBuilder
from agent.detect.uint import UintMatch, parse_uint

# Suricata's SignatureCreateMask: these dsize forms make the rule require a payload,
# so a packet without one never matches them (even `dsize:!9` on an empty packet).
_NEEDS_PAYLOAD = {"range", "gt", "gte", "ne"}


def needs_payload(value: UintMatch) -> bool:
    return value.mode in _NEEDS_PAYLOAD or (value.mode == "eq" and value.arg1 > 0)


def match(pkt: Packet, value: UintMatch) -> bool:
    if not pkt.payload and needs_payload(value):
        return False
    return value.matches(len(pkt.payload))


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("dsize")
    builder.matches.append(PacketMatch("dsize", match, parse_uint(text, 16, "dsize")))


KEYWORD = Keyword("dsize", "payload size", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#dsize")
