"""Shared checks for the numeric content modifiers offset, depth, distance and within.

Suricata refuses mixing absolute (offset/depth) and relative (distance/within)
modifiers on one content, repeated modifiers, and windows shorter than the
pattern; so do we, with the same conditions.
"""

from __future__ import annotations

from agent.detect.content import ContentDraft
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError

_ABSOLUTE = ("offset", "depth")
_RELATIVE = ("distance", "within")


def modifier_target(builder: RuleBuilder, name: str) -> ContentDraft:
    cd = builder.last_content(name)
    if getattr(cd, name) is not None:
        raise RuleParseError(f"can't use multiple {name}s for the same content")
    other = _RELATIVE if name in _ABSOLUTE else _ABSOLUTE
    if any(getattr(cd, o) is not None for o in other):
        raise RuleParseError("can't mix relative (distance/within) and absolute "
                             "(offset/depth) modifiers on one content")
    if cd.fast_pattern_only:
        raise RuleParseError(f"{name} with fast_pattern:only")
    if name in _RELATIVE and cd.negated and cd.fast_pattern:
        raise RuleParseError("relative negated content with fast_pattern")
    return cd


def parse_number(name: str, text: str | None, signed: bool) -> int:
    value = (text or "").strip()
    body = value[1:] if signed and value.startswith("-") else value
    if not body.isdigit():
        if body and (body[0].isalpha() or body[0] == "_"):
            # a byte_extract variable name: not implemented
            raise RuleParseError(f"{name} by variable", unsupported="byte_extract")
        raise RuleParseError(f"invalid {name} value {text!r}")
    number = int(value)
    if not -(1 << 31) <= number < (1 << 31):
        raise RuleParseError(f"{name} value out of range")
    return number
