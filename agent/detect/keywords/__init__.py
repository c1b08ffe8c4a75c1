"""The keyword table: every keyword the builtin engine implements, listed explicitly.

Like Suricata's SigTableSetup, a keyword exists only if it is listed here; no
scanning or entry points. A keyword not in the table makes its rule skipped
as `unsupported keyword 'X'`.
"""

from __future__ import annotations

from agent.detect.keywords import (
    classtype,
    content,
    depth,
    detection_filter,
    distance,
    dsize,
    fast_pattern,
    flags,
    flow,
    flowbits,
    gid,
    icmp_id,
    icmp_seq,
    icode,
    itype,
    metadata,
    msg,
    nocase,
    offset,
    priority,
    rawbytes,
    reference,
    rev,
    sid,
    threshold,
    ttl,
    within,
)
from agent.detect.registry import Keyword, build_table

KEYWORDS: list[Keyword] = [
    msg.KEYWORD,
    sid.KEYWORD,
    rev.KEYWORD,
    gid.KEYWORD,
    classtype.KEYWORD,
    priority.KEYWORD,
    metadata.KEYWORD,
    reference.KEYWORD,
    content.KEYWORD,
    nocase.KEYWORD,
    offset.KEYWORD,
    depth.KEYWORD,
    distance.KEYWORD,
    within.KEYWORD,
    fast_pattern.KEYWORD,
    rawbytes.KEYWORD,
    flow.KEYWORD,
    flowbits.KEYWORD,
    dsize.KEYWORD,
    ttl.KEYWORD,
    itype.KEYWORD,
    icode.KEYWORD,
    flags.KEYWORD,
    flags.KEYWORD_TCP,
    threshold.KEYWORD,
    detection_filter.KEYWORD,
    icmp_id.KEYWORD,
    icmp_seq.KEYWORD,
]

TABLE: dict[str, Keyword] = build_table(KEYWORDS)
