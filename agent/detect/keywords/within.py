"""The `within` content modifier (detect-within.c): end N bytes after the previous match."""

from __future__ import annotations

from agent.detect.keywords._modifiers import modifier_target, parse_number
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = modifier_target(builder, "within")
    value = parse_number("within", text, signed=True)
    if value < len(cd.pattern):
        raise RuleParseError(f"within {value} less than content length {len(cd.pattern)}")
    cd.within = value


KEYWORD = Keyword("within", "limit the search to N bytes after the previous match", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#within")
