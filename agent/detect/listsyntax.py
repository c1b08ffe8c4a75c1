"""Splitting of the bracketed list syntax shared by header addresses and ports.

Owns `[a, [b, c], !d]` tokenizing and leading-`!` stripping; it does not
interpret the items.
"""

from __future__ import annotations

from yamori.errors import RuleParseError


def split_list(body: str) -> list[str]:
    """Split the inside of a `[...]` list on top-level commas."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(body):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise RuleParseError(f"unbalanced brackets in {body!r}")
        elif ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    if depth != 0:
        raise RuleParseError(f"unbalanced brackets in {body!r}")
    items.append(body[start:].strip())
    if any(not item for item in items):
        raise RuleParseError(f"empty item in list {body!r}")
    return items


def strip_negations(text: str) -> tuple[str, bool]:
    """Remove leading `!` marks; return the rest and whether an odd number was seen."""
    neg = False
    text = text.strip()
    while text.startswith("!"):
        neg = not neg
        text = text[1:].strip()
    if not text:
        raise RuleParseError("empty negation")
    return text, neg
