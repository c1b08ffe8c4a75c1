"""Rule header port groups: `any`, N, N:M, N:, :M, $VARS, [lists] and `!`.

Parses a port expression once into a PortSet with Suricata's
detect-engine-port.c semantics: negatives are cut out of the positives; a
pure negation starts from 0:65535; an empty result is an error. It does not
decide which protocols have ports (the engine does).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.detect.intervals import Intervals, contains, normalize, subtract
from agent.detect.listsyntax import split_list, strip_negations
from yamori.errors import RuleParseError

ALL_PORTS: Intervals = ((0, 65535),)
_MAX_DEPTH = 64


@dataclass(slots=True, frozen=True)
class PortSet:
    ranges: Intervals
    is_any: bool = False

    def matches(self, port: int) -> bool:
        return self.is_any or contains(self.ranges, port)


ANY_PORT = PortSet(ALL_PORTS, is_any=True)


def parse_ports(text: str, variables: dict[str, str]) -> PortSet:
    """Parse one header port field; raises RuleParseError on bad input."""
    text = text.strip()
    if text == "any":
        return ANY_PORT
    pos: list[tuple[int, int]] = []
    neg: list[tuple[int, int]] = []
    _parse_into(pos, neg, text, False, variables, 0)
    neg_n = normalize(neg)
    if neg_n == ALL_PORTS:
        raise RuleParseError("complete port space negated")
    base = normalize(pos) or (ALL_PORTS if neg_n else ())
    result = subtract(base, neg_n)
    if not result:
        raise RuleParseError(f"no ports left in {text!r}")
    return PortSet(result)


def _parse_into(pos: list[tuple[int, int]], neg: list[tuple[int, int]], text: str,
                negate: bool, variables: dict[str, str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise RuleParseError("port variables nest too deep")
    body, flip = strip_negations(text)
    negate ^= flip
    if body.startswith("["):
        if not body.endswith("]"):
            raise RuleParseError(f"bad port list {text!r}")
        for item in split_list(body[1:-1]):
            _parse_into(pos, neg, item, negate, variables, depth + 1)
    elif body.startswith("$"):
        if body[1:] not in variables:
            raise RuleParseError(f"unknown port variable {body}")
        _parse_into(pos, neg, variables[body[1:]], negate, variables, depth + 1)
    else:
        (neg if negate else pos).append(_parse_range(body))


def _parse_range(text: str) -> tuple[int, int]:
    if text == "any":
        return ALL_PORTS[0]
    lo_s, sep, hi_s = text.partition(":")
    lo = _port(lo_s) if lo_s.strip() else 0
    hi = (_port(hi_s) if hi_s.strip() else 65535) if sep else lo
    if lo > hi:
        raise RuleParseError(f"bad port range {text!r}")
    return lo, hi


def _port(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or int(text) > 65535:
        raise RuleParseError(f"bad port {text!r}")
    return int(text)
