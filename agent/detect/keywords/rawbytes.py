"""The `rawbytes` content modifier: a no-op in Suricata for packet payload content."""

from __future__ import annotations

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    builder.last_content("rawbytes").rawbytes = True


KEYWORD = Keyword("rawbytes", "no-op compatibility modifier", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#rawbytes")
