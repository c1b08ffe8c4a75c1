"""The payload content inspection engine (Suricata's detect-engine-content-inspection.c).

Owns matching a rule's ordered content list against one buffer, with
Suricata's exact semantics: absolute offset/depth windows, distance/within
relative to the end of the previous match (distance may be negative), a
failing relative match making the previous content retry at its next
occurrence (only when Suricata would: the next content has `within`, or is a
negated content with `distance`), negated contents, and the recursion limit.
It does not decide which buffer to inspect (the engine passes the payload).
"""

from __future__ import annotations

from agent.detect.content import Content

RECURSION_LIMIT = 3000  # detect.inspection-recursion-limit default

_MATCH, _NO_MATCH, _DISCONTINUE = 1, 0, -1


def contents_match(contents: tuple[Content, ...], buffer: bytes) -> bool:
    """True when the content list matches `buffer` the way Suricata evaluates it."""
    if not contents:
        return True
    lowered = buffer.lower() if any(c.nocase for c in contents) else buffer
    budget = [0]
    return _inspect(contents, 0, buffer, lowered, 0, budget) == _MATCH


def _window(cd: Content, prev_end: int, buffer_len: int) -> tuple[int, int]:
    """The [offset, depth) search window before the retry adjustment."""
    if not cd.relative:
        depth = cd.depth_end if cd.depth_end else buffer_len
        return cd.offset, depth
    offset = prev_end
    distance = cd.distance or 0
    if cd.distance is not None:
        offset = 0 if distance < 0 and -distance > offset else offset + distance
    depth = buffer_len
    if cd.within is not None:
        limit = prev_end + cd.within + distance
        # A negative limit wraps to a huge unsigned value in Suricata: no limit.
        if limit >= 0 and depth > limit:
            depth = limit
    return offset, depth


def _inspect(contents: tuple[Content, ...], idx: int, buffer: bytes, lowered: bytes,
             prev_end: int, budget: list[int]) -> int:
    budget[0] += 1
    if budget[0] == RECURSION_LIMIT:
        return _DISCONTINUE
    cd = contents[idx]
    hay = lowered if cd.nocase else buffer
    retry_from = 0
    while True:
        offset, depth = _window(cd, prev_end, len(buffer))
        if retry_from:
            offset = retry_from
        depth = min(depth, len(buffer))
        if offset > depth or depth == 0:
            return _next(contents, idx, buffer, lowered, prev_end, budget) if cd.negated \
                else _NO_MATCH
        found = hay.find(cd.pattern, offset, depth)
        if found < 0:
            if cd.negated:
                return _next(contents, idx, buffer, lowered, prev_end, budget)
            return _NO_MATCH if cd.relative else _DISCONTINUE
        match_end = found + len(cd.pattern)
        if cd.negated:
            return _DISCONTINUE if cd.single else _NO_MATCH
        if idx == len(contents) - 1:
            return _MATCH
        r = _inspect(contents, idx + 1, buffer, lowered, match_end, budget)
        if r != _NO_MATCH:
            return r
        if not cd.within_next:
            return _DISCONTINUE
        retry_from = found + 1


def _next(contents: tuple[Content, ...], idx: int, buffer: bytes, lowered: bytes,
          prev_end: int, budget: list[int]) -> int:
    """A content matched without moving the buffer offset (negated miss): go on."""
    if idx == len(contents) - 1:
        return _MATCH
    return _inspect(contents, idx + 1, buffer, lowered, prev_end, budget)
