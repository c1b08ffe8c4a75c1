"""`yamori demo --engine suricata`: the same demo path with the real Suricata.

The end-to-end test needs Suricata >= 7.0 (skipped otherwise) and loads ET
Open from ../shared when present (~30 s). The expectation tests pin the
per-engine counts the demo checks exactly.
"""

from pathlib import Path

import pytest

from agent.engines.suricata.discover import usable
from yamori import demo
from yamori.cli import main
from yamori.demo_capture import EXPECTED


@pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed")
def test_demo_once_with_suricata_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--once", "--port", "0", "--engine", "suricata"]) == 0
    out = capsys.readouterr().out
    assert "engine suricata:" in out and "demo: OK" in out
    for expected in EXPECTED:
        assert f"sid:{expected.sid}" in out


def test_suricata_expects_anchored_tcp_rules_twice() -> None:
    counts = {want.sid: n for want, n in demo.expected_counts(EXPECTED, "suricata").items()}
    assert counts == {1000001: 1, 1000002: 1, 1000003: 1, 1000004: 2, 1000005: 2}


def test_builtin_expects_every_attack_once() -> None:
    assert set(demo.expected_counts(EXPECTED, "builtin").values()) == {1}


def _stored(sid: int, n: int) -> list[dict]:
    want = next(e for e in EXPECTED if e.sid == sid)
    return [{"alert_id": f"id{i}", "alert": {"signature_id": sid}, "src_ip": want.src_ip,
             "src_port": want.src_port, "dest_ip": want.dest_ip, "dest_port": want.dest_port,
             "proto": want.proto} for i in range(n)]


def test_verify_with_suricata_rejects_a_single_anchored_alert() -> None:
    stored = _stored(1000004, 1)
    verdict = demo.verify(["id0"], stored, tuple(e for e in EXPECTED if e.sid == 1000004),
                          "suricata")
    assert verdict.problems == ["expected sid:1000004 192.168.10.23:50432 -> "
                                "198.51.100.77:443 TCP stored 1 times, want exactly 2"]


def test_suricata_demo_rules_end_with_the_shipped_rules() -> None:
    files = demo.demo_rule_files("suricata")
    assert files[-1].name == "yamori.rules"
    et = demo.et_open_rules()
    assert (files[0] == et) if et is not None else len(files) == 1


def test_builtin_demo_rules_are_the_shipped_rules_only() -> None:
    assert [Path(f).name for f in demo.demo_rule_files("builtin")] == ["yamori.rules"]
