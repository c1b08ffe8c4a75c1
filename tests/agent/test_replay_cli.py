"""`yamori replay`: the offline contract the conformance runner depends on."""

import json
from pathlib import Path

import pytest

import rules
from yamori.cli import main
from yamori.demo_capture import EXPECTED, write_demo_capture

EVE_FIELDS = {"timestamp", "flow_id", "event_type", "src_ip", "dest_ip", "proto", "alert"}
ALERT_FIELDS = {"action", "gid", "signature_id", "rev", "signature", "category", "severity"}


@pytest.fixture(scope="module")
def demo_pcap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pcap") / "demo.pcap"
    write_demo_capture(path)
    return path


def replay(pcap: Path, rule_files: list[Path], eve: Path, *extra: str) -> int:
    argv = ["replay", "--pcap", str(pcap), "--eve", str(eve)]
    for rule_file in rule_files:
        argv += ["--rules", str(rule_file)]
    return main([*argv, *extra])


def read_eve(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_demo_capture_raises_exactly_the_expected_alerts(demo_pcap: Path, tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    assert replay(demo_pcap, rules.shipped_rule_files(), eve, "--strict") == 0
    records = read_eve(eve)
    got = sorted((r["alert"]["signature_id"], r["src_ip"], r["src_port"], r["dest_ip"],
                  r["dest_port"], r["proto"]) for r in records)
    want = sorted((e.sid, e.src_ip, e.src_port, e.dest_ip, e.dest_port, e.proto) for e in EXPECTED)
    assert got == want


def test_records_follow_suricata_eve_alert_schema(demo_pcap: Path, tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    replay(demo_pcap, rules.shipped_rule_files(), eve)
    for record in read_eve(eve):
        assert EVE_FIELDS <= record.keys()
        assert ALERT_FIELDS <= record["alert"].keys()
        assert record["event_type"] == "alert"
        assert record["timestamp"].startswith("2026-11-21T17:13:")


def test_skipped_rules_print_one_line_each(demo_pcap: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rule_file = tmp_path / "mixed.rules"
    rule_file.write_text(
        'alert tcp any any -> any any (msg:"needs http"; http.uri; content:"x"; sid:7001; rev:1;)\n'
        'alert tcp any any -> any any (msg:"broken"; content:"x; sid:7002; rev:1;)\n'
        'alert udp any any -> any 53 (msg:"fine"; content:"evil-c2"; sid:7003; rev:1;)\n')
    assert replay(demo_pcap, [rule_file], tmp_path / "eve.json") == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "rule sid:7001 skipped: unsupported keyword 'http.uri'"
    assert lines[1].startswith("rule sid:7002 skipped: parse error: ")
    assert len(lines) == 2
    assert [r["alert"]["signature_id"] for r in read_eve(tmp_path / "eve.json")] == [7003]


def test_strict_exits_3_when_a_rule_is_skipped(demo_pcap: Path, tmp_path: Path) -> None:
    rule_file = tmp_path / "one.rules"
    rule_file.write_text('alert tcp any any -> any any (msg:"x"; http.uri; sid:7001; rev:1;)\n')
    assert replay(demo_pcap, [rule_file], tmp_path / "eve.json", "--strict") == 3


def test_conformance_options_are_accepted(demo_pcap: Path, tmp_path: Path) -> None:
    code = replay(demo_pcap, rules.shipped_rule_files(), tmp_path / "eve.json",
                  "--set", "stream.midstream=true",
                  "--set", "vars.address-groups.HOME_NET=[192.168.10.0/24]",
                  "-k", "none", "--engine", "builtin")
    assert code == 0


def test_missing_pcap_is_one_line_and_exit_1(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = replay(tmp_path / "nope.pcap", rules.shipped_rule_files(), tmp_path / "eve.json")
    assert code == 1
    assert capsys.readouterr().err.startswith("yamori: ")
