"""Numeric comparison options shared by dsize, ttl, itype, icode … (detect-engine-uint.c).

Owns parsing `N`, `=N`, `<N`, `>N`, `<=N`, `>=N`, `!N`, `N<>M` and `N-M`
(a range is exclusive at both ends, as in Suricata) into a frozen UintMatch,
bounded by the keyword's integer width. It does not know which packet field
is compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yamori.errors import RuleParseError

_RX = re.compile(r"^\s*(<=|>=|<|>|=|!)?\s*([0-9]+)\s*(?:(<>|-)\s*([0-9]+))?\s*$")


@dataclass(slots=True, frozen=True)
class UintMatch:
    mode: str  # "eq", "ne", "lt", "lte", "gt", "gte", "range"
    arg1: int
    arg2: int = 0

    def matches(self, value: int) -> bool:
        if self.mode == "eq":
            return value == self.arg1
        if self.mode == "ne":
            return value != self.arg1
        if self.mode == "lt":
            return value < self.arg1
        if self.mode == "lte":
            return value <= self.arg1
        if self.mode == "gt":
            return value > self.arg1
        if self.mode == "gte":
            return value >= self.arg1
        return self.arg1 < value < self.arg2


_MODES = {None: "eq", "=": "eq", "!": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def parse_uint(text: str | None, bits: int, keyword: str) -> UintMatch:
    """Parse a numeric option for a field of `bits` width."""
    m = _RX.match(text or "")
    if m is None:
        raise RuleParseError(f"invalid {keyword} value {text!r}")
    op, a, rng, b = m.groups()
    limit = (1 << bits) - 1
    arg1 = int(a)
    if arg1 > limit:
        raise RuleParseError(f"{keyword} value {arg1} out of range")
    if rng is None:
        return UintMatch(_MODES[op], arg1)
    arg2 = int(b)
    if op is not None or arg2 > limit or arg1 >= arg2:
        raise RuleParseError(f"invalid {keyword} range {text!r}")
    return UintMatch("range", arg1, arg2)
