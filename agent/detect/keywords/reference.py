"""The `reference` keyword (detect-reference.c): `type,id` kept on the rule; no matching effect."""

from __future__ import annotations

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from yamori.errors import RuleParseError


def setup(builder: RuleBuilder, text: str | None) -> None:
    kind, sep, ref = (text or "").partition(",")
    if not sep or not kind.strip() or not ref.strip():
        raise RuleParseError(f"invalid reference {text!r}")
    builder.references.append((kind.strip().lower(), ref.strip()))


KEYWORD = Keyword("reference", "external reference", setup,
                  "https://docs.suricata.io/en/latest/rules/meta.html#reference")
