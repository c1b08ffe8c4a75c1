"""The Keyword record and lookup in the keyword table (Suricata's sigmatch_table).

Owns the shape of a keyword entry and the name -> entry lookup. The table's
contents live in keywords/__init__.py, as an explicit list; this module does
not import keyword modules itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.detect.rule import RuleBuilder

SetupFn = Callable[[RuleBuilder, "str | None"], None]


@dataclass(slots=True, frozen=True)
class Keyword:
    """One rule keyword: its name, documentation and setup function.

    setup(builder, option_text) parses the option text ONCE into a frozen value
    and records it on the builder (a PacketMatch with a pure match function,
    a content modifier, or rule meta data). option_text is None for keywords
    written without a value (`nocase;`).
    """

    name: str
    desc: str
    setup: SetupFn
    doc_url: str = ""


def build_table(keywords: list[Keyword]) -> dict[str, Keyword]:
    """Index keywords by name, refusing duplicates (a wiring bug)."""
    table: dict[str, Keyword] = {}
    for kw in keywords:
        if kw.name in table:
            raise ValueError(f"keyword {kw.name!r} registered twice")
        table[kw.name] = kw
    return table
