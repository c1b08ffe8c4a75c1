"""collector/detail/rules.py: finding the rule text behind an alert in rule files and bundles."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from collector.config import CollectorConfig
from collector.detail.rules import RuleIndex, logical_lines, parse_rules, rule_ids
from collector.detail.service import build_services
from rules.bundle import generate_key, pack

RULE_V1 = 'alert tcp any any -> any 80 (msg:"test v1"; content:"x"; sid:3000001; rev:1;)'
RULE_V2 = 'alert tcp any any -> any 80 (msg:"test v2"; content:"x"; sid:3000001; rev:2;)'


def test_rule_ids_reads_gid_sid_rev() -> None:
    assert rule_ids('alert ip any any -> any any (msg:"m"; gid:3; sid:7; rev:4;)') == (3, 7, 4)
    assert rule_ids('alert ip any any -> any any (msg:"m"; sid: 7 ;)') == (1, 7, 0)
    assert rule_ids('alert ip any any -> any any (msg:"no sid";)') is None


def test_rule_ids_ignores_escaped_semicolons_in_values() -> None:
    # content:"a\;sid:99\;" is one option: its sid:99 is data, not the rule's sid.
    rule = r'alert tcp any any -> any any (content:"a\;sid:99\;"; sid:5; rev:1;)'
    assert rule_ids(rule) == (1, 5, 1)


def test_continued_lines_are_joined() -> None:
    text = 'alert tcp any any -> any any (msg:"long"; \\\n  sid:9; rev:1;)\n'
    joined = 'alert tcp any any -> any any (msg:"long";   sid:9; rev:1;)'
    assert list(logical_lines(text)) == [joined]


def test_disabled_rules_are_found_and_marked() -> None:
    found = parse_rules(f"# a comment\n#{RULE_V1}\n\n# alert is a word here\n", "x.rules")
    [rule] = found[(1, 3000001)]
    assert rule.text == RULE_V1 and not rule.enabled and rule.source == "x.rules"
    assert len(found) == 1


def test_lookup_prefers_the_alerts_rev_then_enabled(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text(f"{RULE_V2}\n#{RULE_V1}\n", encoding="utf-8")
    index = RuleIndex([tmp_path])
    exact = index.lookup(1, 3000001, 1)
    assert exact.text == RULE_V1 and exact.rev_matches and exact.enabled is False
    other = index.lookup(1, 3000001, 3)
    assert other.text == RULE_V2 and other.found_rev == 2 and not other.rev_matches


def test_unknown_sid_and_gid_are_not_found(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text(RULE_V1 + "\n", encoding="utf-8")
    index = RuleIndex([tmp_path / "a.rules", tmp_path / "missing.rules"])
    assert index.lookup(1, 3000001, 1).known
    assert not index.lookup(1, 3000002, 1).known
    assert not index.lookup(2, 3000001, 1).known


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "a.rules"
    path.write_text(RULE_V1 + "\n", encoding="utf-8")
    index = RuleIndex([tmp_path])
    assert index.lookup(1, 3000001, 2).found_rev == 1
    path.write_text(RULE_V2 + "\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert index.lookup(1, 3000001, 2).found_rev == 2


def _publish(rules_dir: Path, work: Path, version: str, text: str) -> Path:
    src = work / f"src-{version}"
    src.mkdir(parents=True)
    (src / "et.rules").write_text(text, encoding="utf-8")
    rules_dir.mkdir(parents=True, exist_ok=True)
    out = rules_dir / f"ruleset-{version}.tar.gz"
    pack(src, out, version, generate_key(), now=datetime(2026, 11, 22, tzinfo=UTC))
    return out


def test_the_newest_published_bundle_is_searched(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rulesets"
    newest = _publish(rules_dir / "stable", tmp_path, "2026.11.10", RULE_V2 + "\n")
    older = _publish(rules_dir, tmp_path, "2026.11.9", RULE_V1 + "\n")
    # The older one is written last: "newest" is by version, not by mtime.
    assert older.stat().st_mtime_ns >= newest.stat().st_mtime_ns
    found = RuleIndex([], bundle_dir=rules_dir).lookup(1, 3000001, 2)
    assert found.text == RULE_V2 and found.source == f"{newest.name}:et.rules"
    assert not RuleIndex([], bundle_dir=rules_dir).lookup(1, 3000001, 1).rev_matches


def test_no_bundle_dir_is_fine(tmp_path: Path) -> None:
    assert not RuleIndex([], bundle_dir=tmp_path / "nothing-here").lookup(1, 1, 1).known


def test_a_broken_bundle_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.tar.gz").write_bytes(b"not a tarball")
    assert not RuleIndex([], bundle_dir=tmp_path).lookup(1, 3000001, 1).known


def test_the_collector_knows_yamoris_own_rules(tmp_path: Path) -> None:
    services = build_services(CollectorConfig(rules_dir=str(tmp_path / "rulesets")))
    found = services.rules.lookup(1, 1000003, 1)
    assert found.known and found.enabled and found.source == "yamori.rules"
    assert '|07|evil-c2|07|example|00|' in (found.text or "")
