"""The `sid` keyword (detect-sid.c): a 32-bit rule identifier field; no effect on matching."""

from __future__ import annotations

from agent.detect.keywords._ints import parse_int
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("sid")
    builder.sid = parse_int("sid", text, 1, 0xFFFFFFFF)


KEYWORD = Keyword("sid", "rule sid", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#sid")
