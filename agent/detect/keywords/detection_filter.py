"""The `detection_filter` keyword (detect-detection-filter.c): alert only past a rate.

Owns parsing `track by_src|by_dst|by_flow, count N, seconds S` (each name
once, any order, anchored as in Suricata; count and seconds must be > 0;
by_flow as Suricata 8 accepts it). `unique_on` (Suricata 9) is unsupported. The rule
alerts on every match after the count-th within the window (TYPE_DETECTION
in agent/detect/threshold.py). At most one threshold or detection_filter per
rule.
"""

from __future__ import annotations

import re

from agent.detect.keywords.threshold import count_names, parse_u32, take_threshold_slot
from agent.detect.registry import Keyword
from agent.detect.rule import RuleBuilder
from agent.detect.threshold import (
    TRACK_DST,
    TRACK_FLOW,
    TRACK_SRC,
    TYPE_DETECTION,
    ThresholdSpec,
)
from yamori.errors import RuleParseError

_PAIR = r"(track|count|seconds)\s+(by_src|by_dst|by_flow|\d+)"
_RX = re.compile(r"^\s*" + r"\s*,\s*".join([_PAIR] * 3) + r"\s*$")
_TRACKS = {"by_dst": TRACK_DST, "by_src": TRACK_SRC, "by_flow": TRACK_FLOW}


def parse(text: str | None) -> ThresholdSpec:
    raw = text or ""
    if "unique_on" in raw:  # Suricata 9's distinct-value counting: not implemented
        raise RuleParseError("detection_filter unique_on", unsupported="detection_filter")
    if any(n != 1 for n in count_names(raw, ("count", "second", "track")).values()):
        raise RuleParseError(f"detection_filter needs track, count and seconds once: {raw!r}")
    m = _RX.match(raw)
    if m is None:
        raise RuleParseError(f"invalid detection_filter option {raw!r}")
    args = m.groups()
    track = next((_TRACKS[a] for a in reversed(args) if a in _TRACKS), None)
    count_at, seconds_at = args.index("count") + 1, args.index("seconds") + 1
    if not (args[count_at].isdigit() and args[seconds_at].isdigit()):
        raise RuleParseError(f"invalid detection_filter count or seconds {raw!r}")
    count = parse_u32(args[count_at], "count")
    seconds = parse_u32(args[seconds_at], "seconds")
    if count == 0 or seconds == 0:
        raise RuleParseError("detection_filter count and seconds must be > 0")
    if track is None:
        # Suricata loads it but never alerts: not worth honouring.
        raise RuleParseError(f"detection_filter track missing {raw!r}",
                             unsupported="detection_filter")
    return ThresholdSpec(TYPE_DETECTION, track, count, seconds)


def setup(builder: RuleBuilder, text: str | None) -> None:
    take_threshold_slot(builder, "detection_filter")
    builder.threshold = parse(text)


KEYWORD = Keyword("detection_filter", "alert on every match after a rate is reached", setup,
                  "https://docs.suricata.io/en/latest/rules/thresholding.html#detection-filter")
