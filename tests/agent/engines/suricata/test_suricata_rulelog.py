"""Mapping Suricata's rule-load errors to RuleParseError."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agent.engines.suricata.rulelog import parse_rule_log, rule_sid

LOG = [
    "[1 - Suricata-Main] 2026-01-01 00:00:00 Error: detect-parse: unknown rule keyword 'foobar'.",
    '[1 - Suricata-Main] 2026-01-01 00:00:00 Error: detect: error parsing signature '
    '"alert tcp any any -> any any (msg:"bad"; foobar:1; sid:2; rev:1;)" from file /r/t.rules '
    'at line 2',
    "E: detect-parse: Signature missing required value \"sid\".",
    'E: detect: error parsing signature "alert tcp any any -> any any (msg:"x";)" '
    'from file t.rules at line 4',
    "[1 - Suricata-Main] Info: detect: 1 rule files processed. 7 rules successfully loaded, "
    "2 rules failed",
]


def test_failed_rule_has_sid_file_line_and_reason() -> None:
    first = parse_rule_log(LOG).failed[0]
    assert (first.sid, first.file, first.line) == (2, "/r/t.rules", 2)
    assert first.skip_line() == (
        "rule sid:2 skipped: parse error: detect-parse: unknown rule keyword 'foobar'.")


def test_rule_without_sid_is_reported_with_unknown_sid() -> None:
    assert parse_rule_log(LOG).failed[1].skip_line().startswith("rule sid:? skipped: parse error")


def test_summary_line_gives_counts() -> None:
    result = parse_rule_log(LOG)
    assert (result.loaded, result.failed_count) == (7, 2)


def test_sid_inside_msg_text_is_not_the_rule_sid() -> None:
    assert rule_sid('alert ip any any -> any any (msg:"sid:9 test"; sid:42;)') == 42


def test_non_rule_errors_are_kept_apart() -> None:
    result = parse_rule_log(["E: af-packet: cannot open interface eth9"])
    assert result.failed == [] and result.other_errors == [
        "af-packet: cannot open interface eth9"]


@given(st.integers(min_value=1, max_value=2**32 - 1))
def test_rule_sid_reads_any_sid(sid: int) -> None:
    assert rule_sid(f"alert tcp any any -> any any (msg:\"m\"; sid:{sid}; rev:1;)") == sid
