"""The `fast_pattern` content modifier: a multi-pattern-matcher hint only.

`fast_pattern`, `fast_pattern:only` and `fast_pattern:N,M` never change which
packets match in Suricata, so accepting them is exact; only Suricata's
setup-time refusals are reproduced.
"""

from __future__ import annotations

import re

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError

_CHOP_RX = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*$")


def setup(builder: RuleBuilder, text: str | None) -> None:
    cd = builder.last_content("fast_pattern")
    if cd.fast_pattern:
        raise RuleParseError("can't use multiple fast_pattern modifiers on one content")
    if any(c.fast_pattern for c in builder.contents):
        raise RuleParseError("fast_pattern set on more than one content")
    value = (text or "").strip()
    if value == "only":
        if cd.negated or cd.relative or cd.offset is not None or cd.depth is not None:
            raise RuleParseError("fast_pattern:only on a negated or limited content")
        cd.fast_pattern_only = True
    elif value:
        m = _CHOP_RX.match(value)
        if m is None or int(m.group(1)) + int(m.group(2)) > len(cd.pattern):
            raise RuleParseError(f"invalid fast_pattern value {text!r}")
    if cd.negated and cd.relative:
        raise RuleParseError("fast_pattern on a relative negated content")
    cd.fast_pattern = True


KEYWORD = Keyword("fast_pattern", "multi-pattern matcher hint", setup,
                  "https://docs.suricata.io/en/latest/rules/fast-pattern.html")
