"""The `threshold` keyword (detect-threshold.c): limit a rule's alert frequency.

Owns parsing `type T, track K, count N, seconds S` the way Suricata does:
each of the four names exactly once (counted per comma-separated part, by
substring), then Suricata's regex of four `name value` pairs, in any order,
with trailing text after the fourth pair ignored as its unanchored regex
does. type is limit|threshold|both; track is by_src|by_dst|by_both|by_rule|
by_flow. At most one threshold or detection_filter per rule. The alert-time
logic lives in agent/detect/threshold.py. The `backoff` type and
`multiplier` (Suricata 8) are reported unsupported.
"""

from __future__ import annotations

import re

from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from agent.detect.threshold import (
    TRACK_BOTH,
    TRACK_DST,
    TRACK_FLOW,
    TRACK_RULE,
    TRACK_SRC,
    TYPE_BOTH,
    TYPE_LIMIT,
    TYPE_THRESHOLD,
    ThresholdSpec,
)
from yamori.errors import RuleParseError

_NAME = r"(track|type|count|seconds)"
_VALUE = r"(limit|both|threshold|by_dst|by_src|by_both|by_rule|by_flow|\d+)"
_PAIR = _NAME + r"\s+" + _VALUE
_RX = re.compile(r"^\s*" + r"\s*,\s*".join([_PAIR] * 4) + r"\s*")
_TYPES = {"limit": TYPE_LIMIT, "both": TYPE_BOTH, "threshold": TYPE_THRESHOLD}
_TRACKS = {"by_dst": TRACK_DST, "by_src": TRACK_SRC, "by_both": TRACK_BOTH,
           "by_rule": TRACK_RULE, "by_flow": TRACK_FLOW}
UINT32_MAX = 0xFFFFFFFF


def count_names(text: str, names: tuple[str, ...]) -> dict[str, int]:
    """How many comma-separated parts contain each name (Suricata's strtok/strstr check)."""
    parts = [p for p in text.split(",") if p]
    return {n: sum(n in p for p in parts) for n in names}


def parse_u32(text: str, what: str) -> int:
    value = int(text)
    if value > UINT32_MAX:
        raise RuleParseError(f"{what} value {text} out of range")
    return value


def parse(text: str | None) -> ThresholdSpec:
    raw = text or ""
    if "backoff" in raw or "multiplier" in raw:  # Suricata 8's backoff type
        raise RuleParseError("threshold type backoff", unsupported="threshold")
    counts = count_names(raw, ("count", "second", "type", "track"))
    if any(n != 1 for n in counts.values()):
        raise RuleParseError(f"threshold needs type, track, count and seconds once: {raw!r}")
    m = _RX.match(raw)
    if m is None:
        raise RuleParseError(f"invalid threshold option {raw!r}")
    args = m.groups()
    # Like Suricata, every captured word is checked for a type or track value
    # and the word after `count` / `seconds` is taken as their number.
    kind = next((_TYPES[a] for a in reversed(args) if a in _TYPES), None)
    track = next((_TRACKS[a] for a in reversed(args) if a in _TRACKS), None)
    count_at, seconds_at = args.index("count") + 1, args.index("seconds") + 1
    if not (args[count_at].isdigit() and args[seconds_at].isdigit()):
        raise RuleParseError(f"invalid threshold count or seconds {raw!r}")
    if kind is None or track is None:
        raise RuleParseError(f"threshold type or track missing {raw!r}",
                             unsupported="threshold")
    return ThresholdSpec(kind, track, parse_u32(args[count_at], "count"),
                         parse_u32(args[seconds_at], "seconds"))


def take_threshold_slot(builder: RuleBuilder, name: str) -> None:
    """Suricata allows one threshold or detection_filter per rule."""
    if builder.threshold is not None:
        raise RuleParseError(f"'{name}': only one threshold or detection_filter per rule")


def setup(builder: RuleBuilder, text: str | None) -> None:
    take_threshold_slot(builder, "threshold")
    builder.threshold = parse(text)


KEYWORD = Keyword("threshold", "limit a rule's alert frequency", setup,
                  "https://docs.suricata.io/en/latest/rules/thresholding.html#threshold")
