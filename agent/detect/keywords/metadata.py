"""The `metadata` keyword (detect-metadata.c): `key value, key value` pairs.

Kept as {key: [values]} in rule order for EVE's alert.metadata; repeated
metadata keywords accumulate. No effect on matching.
"""

from __future__ import annotations

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def setup(builder: RuleBuilder, text: str | None) -> None:
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        if not value.strip():
            raise RuleParseError(f"metadata item {item!r} has no value")
        builder.metadata.setdefault(key, []).append(value.strip())


KEYWORD = Keyword("metadata", "key/value meta data", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#metadata")
