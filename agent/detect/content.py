"""Content patterns: the `content` string syntax and the per-content record.

Owns decoding `"abc|41 42|\\;"` into bytes and the ContentDraft (filled by
content and its modifiers while the rule is parsed) -> Content (frozen)
step, including Suricata's setup-time checks and the *_NEXT flags the
inspection engine needs. Matching lives in inspect.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from yamori.errors import RuleParseError

_ESCAPABLE = {";", '"', "\\", ":", ","}


@dataclass(slots=True, frozen=True)
class Content:
    pattern: bytes  # lower-cased when nocase
    negated: bool
    nocase: bool
    offset: int
    depth_end: int  # offset + depth; 0 when no depth
    distance: int | None
    within: int | None
    within_next: bool  # Suricata's DETECT_CONTENT_WITHIN_NEXT on this content
    single: bool  # DETECT_CONTENT_IS_SINGLE

    @property
    def relative(self) -> bool:
        return self.distance is not None or self.within is not None


@dataclass(slots=True)
class ContentDraft:
    pattern: bytes
    negated: bool
    nocase: bool = False
    offset: int | None = None
    depth: int | None = None
    distance: int | None = None
    within: int | None = None
    fast_pattern: bool = False
    fast_pattern_only: bool = False
    rawbytes: bool = False
    within_next: bool = False
    relative_next: bool = False

    @property
    def relative(self) -> bool:
        return self.distance is not None or self.within is not None

    def freeze(self) -> Content:
        offset = self.offset or 0
        depth_end = offset + self.depth if self.depth is not None else 0
        single = not (self.relative or self.relative_next or self.depth is not None
                      or self.offset is not None)
        pattern = self.pattern.lower() if self.nocase else self.pattern
        return Content(pattern, self.negated, self.nocase, offset, depth_end,
                       self.distance, self.within, self.within_next, single)


def parse_content_value(text: str) -> tuple[bytes, bool]:
    """Decode a content option value: (pattern bytes, negated)."""
    text = text.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise RuleParseError("content needs a quoted string")
    pattern = decode_pattern(text[1:-1])
    if not pattern:
        raise RuleParseError("empty content")
    return pattern, negated


def decode_pattern(body: str) -> bytes:
    """Turn content text with |hex| parts and backslash escapes into bytes."""
    out = bytearray()
    hex_mode = False
    hex_digits = ""
    escape = False
    for ch in body:
        if escape:
            if ch not in _ESCAPABLE:
                raise RuleParseError(f"'\\{ch}' is not a valid content escape")
            out += ch.encode("latin-1")
            escape = False
        elif ch == "|":
            if hex_mode and hex_digits:
                raise RuleParseError("odd number of hex digits in content")
            hex_mode = not hex_mode
        elif hex_mode:
            hex_digits = _hex_step(out, hex_digits, ch)
        elif ch == "\\":
            escape = True
        elif ch == '"':
            raise RuleParseError("unescaped '\"' in content")
        else:
            out += _char_bytes(ch)
    if hex_mode or escape:
        raise RuleParseError("unterminated hex or escape in content")
    return bytes(out)


def _hex_step(out: bytearray, pending: str, ch: str) -> str:
    if ch == " ":
        return pending
    if ch not in "0123456789abcdefABCDEF":
        raise RuleParseError(f"invalid hex character {ch!r} in content")
    pending += ch
    if len(pending) == 2:
        out.append(int(pending, 16))
        return ""
    return pending


def finish_contents(drafts: list[ContentDraft]) -> tuple[Content, ...]:
    """Set the *_NEXT flags as Suricata's distance/within setup does, then freeze."""
    for prev, cur in zip(drafts, drafts[1:], strict=False):
        if cur.within is not None or (cur.distance is not None and cur.negated):
            prev.within_next = True
        if cur.relative:
            prev.relative_next = True
            if prev.fast_pattern_only:
                raise RuleParseError("relative keyword after a fast_pattern:only content")
    return tuple(d.freeze() for d in drafts)


def _char_bytes(ch: str) -> bytes:
    # Rule files are read as latin-1 so each char is the file's original byte.
    return ch.encode("latin-1") if ord(ch) < 256 else ch.encode("utf-8")
