"""The `offset` content modifier (detect-offset.c): start searching at this payload offset."""

from __future__ import annotations

from agent.detect.keywords._modifiers import modifier_target, parse_number
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = modifier_target(builder, "offset")
    value = parse_number("offset", text, signed=False)

    cd.offset = value


KEYWORD = Keyword("offset", "start searching at this payload offset", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#offset")
