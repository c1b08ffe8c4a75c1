"""The `priority` keyword (detect-priority.c): explicit priority, 1..255, wins over classtype."""

from __future__ import annotations

from agent.detect.keywords._ints import parse_int
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("priority")
    builder.priority = parse_int("priority", text, 1, 255)


KEYWORD = Keyword("priority", "rule priority (alert severity)", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#priority")
