"""Read, from Suricata's log, which rules it failed to load and why.

Suricata reports each rejected rule with two error lines: the reason
(`Error: detect-parse: unknown rule keyword 'foo'.`) and then
`Error: detect: error parsing signature "<rule>" from file F at line N`.
This module turns every such pair into a RuleParseError carrying the rule's
sid (read from the rule text Suricata prints), file and line, and reads the
"N rules successfully loaded, M rules failed" summary. It does not run
Suricata.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from yamori.errors import RuleParseError

_FAILED_RX = re.compile(
    r'error parsing signature "(?P<rule>.*)" from file (?P<file>.*?) at line (?P<line>\d+)\s*$')
# The sid keyword, not a "sid:" inside msg text: it follows '(' or ';'.
_SID_RX = re.compile(r"[(;]\s*sid\s*:\s*\"?\s*(\d+)")
_SUMMARY_RX = re.compile(r"(\d+) rules successfully loaded, (\d+) rules failed")
# "[123 - Suricata-Main] 2026-… Error: detect-parse: msg" or console "E: detect-parse: msg".
_ERROR_RX = re.compile(r"(?:^|\s)(?:Error:|E:|<Error>)\s+(?P<msg>.*)$")


@dataclass(slots=True)
class RuleLoadLog:
    """What one Suricata start said about its rules."""

    failed: list[RuleParseError] = field(default_factory=list)
    loaded: int | None = None  # from the summary line, when Suricata got that far
    failed_count: int | None = None
    other_errors: list[str] = field(default_factory=list)


def rule_sid(rule_text: str) -> int | None:
    """The sid of a rule as Suricata printed it, None when it has none."""
    found = _SID_RX.findall(rule_text)
    return int(found[-1]) if found else None


def _failure(match: re.Match[str], reason: str | None) -> RuleParseError:
    rule = match.group("rule")
    message = reason or "rule rejected by Suricata"
    return RuleParseError(message, sid=rule_sid(rule), file=match.group("file"),
                          line=int(match.group("line")))


def parse_rule_log(lines: Iterable[str]) -> RuleLoadLog:
    """Every failed rule, in the order Suricata reported them."""
    result = RuleLoadLog()
    reason: str | None = None
    for raw in lines:
        line = raw.rstrip("\n")
        summary = _SUMMARY_RX.search(line)
        if summary:
            result.loaded, result.failed_count = int(summary.group(1)), int(summary.group(2))
            continue
        err = _ERROR_RX.search(line)
        if err is None:
            continue
        failed = _FAILED_RX.search(err.group("msg"))
        if failed:
            result.failed.append(_failure(failed, reason))
            reason = None
        elif _is_rule_reason(err.group("msg")):
            reason = err.group("msg").strip()
        else:
            result.other_errors.append(err.group("msg").strip())
    return result


def _is_rule_reason(msg: str) -> bool:
    # Reasons come from the rule parser and keyword modules (detect-*), and
    # from the engine's own "Loading signatures failed" note, which is not one.
    return msg.startswith("detect") and "Loading signatures failed" not in msg
