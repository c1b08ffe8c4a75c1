"""Rule header address groups: `any`, IPs, CIDRs, ranges, $VARS, [lists] and `!`.

Parses an address expression once into an AddressSet (one interval set per
IP family) with Suricata's detect-engine-address.c semantics:

- positives and negatives are collected, then the negatives are cut out of
  the positives, per family; a family with negatives but no positives starts
  from the whole family (so `!1.2.3.4` matches every other IPv4 address but
  no IPv6 address, exactly like Suricata);
- a negated nested list (`![a, !b]`) is resolved on its own first, then
  negated as a whole; a negated variable flips the sign of each member;
- negating the whole space (`!any`) or ending with no address is an error.

It does not know about ports or rule direction.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from agent.detect.intervals import Intervals, contains, normalize, subtract
from agent.detect.listsyntax import split_list, strip_negations
from yamori.errors import RuleParseError

V4_ALL: Intervals = ((0, (1 << 32) - 1),)
V6_ALL: Intervals = ((0, (1 << 128) - 1),)
_MAX_DEPTH = 64


@dataclass(slots=True, frozen=True)
class AddressSet:
    """The addresses a rule side matches, as interval sets per family."""

    v4: Intervals
    v6: Intervals
    is_any: bool = False
    # Suricata's src/dst_contains_negation: makes a rule 'like IP-only' (inspected per packet).
    has_negation: bool = field(default=False, compare=False)

    def matches(self, version: int, addr: int) -> bool:
        if self.is_any:
            return True
        return contains(self.v4 if version == 4 else self.v6, addr)


ANY_ADDRESS = AddressSet(V4_ALL, V6_ALL, is_any=True)


@dataclass(slots=True)
class _Acc:
    pos4: list[tuple[int, int]]
    pos6: list[tuple[int, int]]
    neg4: list[tuple[int, int]]
    neg6: list[tuple[int, int]]


def parse_addresses(text: str, variables: dict[str, str]) -> AddressSet:
    """Parse one header address field; raises RuleParseError on bad input."""
    text = text.strip()
    if text == "any":
        return ANY_ADDRESS
    acc = _Acc([], [], [], [])
    _parse_into(acc, text, False, variables, 0)
    negated = bool(acc.neg4 or acc.neg6)
    v4, v6 = _merge_not(acc)
    return AddressSet(v4, v6, has_negation=negated)


def _merge_not(acc: _Acc) -> tuple[Intervals, Intervals]:
    neg4, neg6 = normalize(acc.neg4), normalize(acc.neg6)
    if neg4 == V4_ALL and neg6 == V6_ALL:
        raise RuleParseError("complete IP space negated")
    pos4 = normalize(acc.pos4) or (V4_ALL if neg4 else ())
    pos6 = normalize(acc.pos6) or (V6_ALL if neg6 else ())
    v4, v6 = subtract(pos4, neg4), subtract(pos6, neg6)
    if not v4 and not v6:
        raise RuleParseError("no addresses left after merging negated addresses")
    return v4, v6


def _parse_into(acc: _Acc, text: str, negate: bool, variables: dict[str, str], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise RuleParseError("address variables nest too deep")
    text = text.strip()
    if text.startswith("[") or text.startswith("!["):
        body, neg = strip_negations(text)
        if not (body.startswith("[") and body.endswith("]")):
            raise RuleParseError(f"bad address list {text!r}")
        items = split_list(body[1:-1])
        if neg and not negate:
            _add_negated_list(acc, items, variables, depth)
            return
        for item in items:
            _parse_into(acc, item, negate ^ neg, variables, depth + 1)
        return
    _parse_item(acc, text, negate, variables, depth)


def _add_negated_list(acc: _Acc, items: list[str], variables: dict[str, str], depth: int) -> None:
    inner = _Acc([], [], [], [])
    for item in items:
        _parse_into(inner, item, False, variables, depth + 1)
    v4, v6 = _merge_not(inner)
    acc.neg4.extend(v4)
    acc.neg6.extend(v6)


def _parse_item(acc: _Acc, text: str, negate: bool, variables: dict[str, str], depth: int) -> None:
    body, neg = strip_negations(text)
    negate ^= neg
    if body.startswith("$"):
        name = body[1:]
        if name not in variables:
            raise RuleParseError(f"unknown address variable ${name}")
        _parse_into(acc, variables[name], negate, variables, depth + 1)
        return
    if body.startswith("["):
        _parse_into(acc, ("!" if negate else "") + body, False, variables, depth + 1)
        return
    for version, lo, hi in _parse_single(body):
        target = (acc.neg4 if version == 4 else acc.neg6) if negate else (
            acc.pos4 if version == 4 else acc.pos6)
        target.append((lo, hi))


def _parse_single(text: str) -> list[tuple[int, int, int]]:
    if text == "any":
        return [(4, *V4_ALL[0]), (6, *V6_ALL[0])]
    try:
        if "-" in text and "/" not in text:
            a, b = (ipaddress.ip_address(p.strip()) for p in text.split("-", 1))
            if a.version != b.version or int(a) > int(b):
                raise ValueError(text)
            return [(a.version, int(a), int(b))]
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise RuleParseError(f"bad address {text!r}") from exc
    return [(net.version, int(net.network_address), int(net.broadcast_address))]
