"""The `distance` content modifier (detect-distance.c): start after the previous match."""

from __future__ import annotations

from agent.detect.keywords._modifiers import modifier_target, parse_number
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = modifier_target(builder, "distance")
    value = parse_number("distance", text, signed=True)

    cd.distance = value


KEYWORD = Keyword("distance", "search from the previous match's end (may be negative)", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#distance")
