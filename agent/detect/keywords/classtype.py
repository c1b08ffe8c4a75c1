"""The `classtype` keyword (detect-classtype.c): category text and default priority.

Semantics follow Suricata 7 in non-strict mode: names are case-insensitive;
an unknown classtype loads with the default priority 3 and no category; a
second classtype keeps the one with the better (lower) priority; an explicit
`priority` always wins.
"""

from __future__ import annotations

import re

from agent.detect.registry import Keyword
from agent.detect.rule import DEFAULT_PRIORITY, RuleBuilder
from yamori.errors import RuleParseError

_NAME_RX = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9-_]*)\s*$")


def setup(builder: RuleBuilder, text: str | None) -> None:
    m = _NAME_RX.match(text or "")
    if m is None:
        raise RuleParseError(f"invalid classtype {text!r}")
    name = m.group(1).lower()
    known = builder.classifications.get(name)
    prio = known[1] if known else DEFAULT_PRIORITY
    if builder.class_priority is not None and prio >= builder.class_priority:
        return
    builder.class_priority = prio
    if known:
        builder.classtype = name
        builder.category = known[0]


KEYWORD = Keyword("classtype", "rule classification", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#classtype")
