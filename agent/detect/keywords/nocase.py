"""The `nocase` content modifier: ASCII case-insensitive pattern search."""

from __future__ import annotations

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = builder.last_content("nocase")
    if text is not None and text.strip():
        raise RuleParseError("nocase takes no value")
    if cd.nocase:
        raise RuleParseError("can't use multiple nocase modifiers with the same content")
    cd.nocase = True


KEYWORD = Keyword("nocase", "case-insensitive content", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#nocase")
