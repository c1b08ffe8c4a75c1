"""The `depth` content modifier (detect-depth.c): search only this many bytes from the offset."""

from __future__ import annotations

from agent.detect.keywords._modifiers import modifier_target, parse_number
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = modifier_target(builder, "depth")
    value = parse_number("depth", text, signed=False)
    if value < len(cd.pattern):
        raise RuleParseError(f"depth {value} smaller than content length {len(cd.pattern)}")
    cd.depth = value


KEYWORD = Keyword("depth", "search only this many bytes from the offset", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#depth")
