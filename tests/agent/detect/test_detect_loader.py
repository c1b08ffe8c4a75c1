from pathlib import Path

import pytest

from agent.detect.loader import load_rules, rule_lines
from agent.engines.base import EngineSettings

ET = Path("/work/shared/data/et-open/suricata-7.0.7_2024-12-13/suricata.rules")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.rules"
    p.write_text(text)
    return p


def test_comments_blank_and_continuation_lines():
    text = ("# c\n\nalert ip any any -> any any \\\n  (sid:1;)\n"
            "#alert ip any any -> any any (sid:2;)\n")
    assert [t for _, t in rule_lines(text)] == ["alert ip any any -> any any (sid:1;)"]


def test_broken_rule_does_not_stop_others(tmp_path):
    p = write(tmp_path, "alert ip any any -> any any (sid:1;)\nalert foo (sid:2;)\n"
                        "alert ip any any -> any any (sid:3;)\n")
    rules, errors = load_rules([p], EngineSettings())
    assert sorted(r.sid for r in rules) == [1, 3]
    assert [e.sid for e in errors] == [2]


def test_duplicate_sid_keeps_higher_rev(tmp_path):
    p = write(tmp_path, 'alert ip any any -> any any (msg:"old"; sid:1; rev:1;)\n'
                        'alert ip any any -> any any (msg:"new"; sid:1; rev:2;)\n'
                        'alert ip any any -> any any (msg:"same"; sid:1; rev:2;)\n')
    rules, errors = load_rules([p], EngineSettings())
    assert [r.msg for r in rules] == ["new"]
    assert [e.sid for e in errors] == [1, 1]


def test_settings_override_variables(tmp_path):
    p = write(tmp_path, "alert ip $HOME_NET any -> any any (sid:1;)\n")
    rules, _ = load_rules([p], EngineSettings(address_vars={"HOME_NET": "8.8.8.0/24"}))
    assert rules[0].header.src.matches(4, 0x08080808)


@pytest.mark.skipif(not ET.exists(), reason="ET Open ruleset not available")
def test_et_open_ruleset_loads_with_one_error_per_skipped_rule():
    rules, errors = load_rules([ET], EngineSettings())
    assert rules
    assert all(e.sid is not None for e in errors)
    total = sum(1 for _ in rule_lines(ET.read_text(encoding="latin-1")))
    assert len(rules) + len(errors) == total
