"""The `gid` keyword (detect-gid.c): a 32-bit rule identifier field; no effect on matching."""

from __future__ import annotations

from agent.detect.keywords._ints import parse_int
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.once("gid")
    builder.gid = parse_int("gid", text, 0, 0xFFFFFFFF)


KEYWORD = Keyword("gid", "rule gid", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#gid")
