"""The `rev` keyword (detect-rev.c): a 32-bit rule identifier field; no effect on matching."""

from __future__ import annotations

from agent.detect.keywords._ints import parse_int
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("rev")
    builder.rev = parse_int("rev", text, 0, 0xFFFFFFFF)


KEYWORD = Keyword("rev", "rule rev", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#rev")
