"""The `content` keyword (detect-content.c): a byte pattern searched in the packet payload.

Owns parsing the pattern (hex parts, escapes, `!` negation) into a draft that
the modifier keywords (nocase, offset, depth, distance, within, fast_pattern,
rawbytes) then refine. Matching is inspect.py's job.
"""

from __future__ import annotations

from agent.detect.content import ContentDraft, parse_content_value
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder


def setup(builder: RuleBuilder, text: str | None) -> None:
    pattern, negated = parse_content_value(text or "")
    builder.contents.append(ContentDraft(pattern, negated))


KEYWORD = Keyword("content", "match a byte pattern in the payload", setup,
                  "https://docs.suricata.io/en/latest/rules/payload-keywords.html#content")
