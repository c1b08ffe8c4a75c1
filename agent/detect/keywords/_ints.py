"""A shared parser for the plain unsigned integer options of sid, rev, gid, priority."""

from __future__ import annotations

from yamori.errors import RuleParseError


def parse_int(name: str, text: str | None, low: int, high: int) -> int:
    value = (text or "").strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        value = value[1:-1].strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise RuleParseError(f"invalid {name} value {text!r}")
    return int(value)
