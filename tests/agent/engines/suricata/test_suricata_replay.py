"""`yamori replay --engine suricata`: the replay contract on a real Suricata.

The expected alert counts come from *.suricata-alerts.json beside the captures
(real Suricata 7.0.10 + full ET Open); the test loads only the expected sids
from ET Open, since the full set takes ~30 s to load.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from agent.engines.base import EngineSettings, SourceSpec
from yamori.cli import main

SHARED = Path("/work/shared/data")
ET_RULES = SHARED / "et-open/suricata-7.0.7_2024-12-13/suricata.rules"
PCAPS = SHARED / "pcaps"
CASES = ["malcolm-pcap-plugins/Pingback/Pingback_ICMP.pcap",
         "malcolm-pcap-plugins/ripple20/dns_over_tcp.pcap"]

pytestmark = pytest.mark.skipif(shutil.which("suricata") is None,
                                reason="suricata is not installed")
needs_data = pytest.mark.skipif(not ET_RULES.exists(), reason="no ET Open ruleset in ../shared")


def _subset(sids: set[int], out: Path) -> Path:
    lines = [line for line in ET_RULES.read_text(encoding="utf-8").splitlines()
             if line.startswith("alert") and any(f"sid:{s};" in line for s in sids)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _expected(capture: str, variant: str) -> Counter[int]:
    doc = json.loads((PCAPS / f"{capture}.suricata-alerts.json").read_text())
    return Counter({a["sid"]: a["count"] for a in doc[variant]["alerts"]})


def _replay(tmp_path: Path, pcap: Path, rules: Path, *extra: str) -> Counter[int]:
    eve = tmp_path / "out.json"
    argv = ["replay", "--engine", "suricata", "--pcap", str(pcap), "--rules", str(rules),
            "--eve", str(eve), *extra]
    assert main(argv) == 0
    records = [json.loads(line) for line in eve.read_text().splitlines()]
    assert all(r["event_type"] == "alert" for r in records)
    return Counter(r["alert"]["signature_id"] for r in records)


@needs_data
@pytest.mark.parametrize("capture", CASES)
@pytest.mark.parametrize("variant", ["default", "k_none"])
def test_alert_counts_match_real_suricata(tmp_path: Path, capture: str, variant: str) -> None:
    want = _expected(capture, variant)
    rules = _subset(set(want), tmp_path / "subset.rules")
    k_args = ("-k", "none") if variant == "k_none" else ()
    assert _replay(tmp_path, PCAPS / capture, rules, *k_args) == want


@needs_data
def test_alerts_come_in_packet_order(tmp_path: Path) -> None:
    capture = CASES[0]
    rules = _subset(set(_expected(capture, "default")), tmp_path / "subset.rules")
    eve = tmp_path / "out.json"
    main(["replay", "--engine", "suricata", "--pcap", str(PCAPS / capture), "--rules", str(rules),
          "--eve", str(eve)])
    stamps = [json.loads(line)["timestamp"] for line in eve.read_text().splitlines()]
    assert stamps == sorted(stamps)


def _bad_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "bad.rules"
    rules.write_text(
        'alert icmp any any -> any any (msg:"any icmp"; itype:0; sid:10; rev:1;)\n'
        'alert tcp any any -> any any (msg:"bad"; no_such_kw:1; sid:11; rev:1;)\n'
        'alert tcp any any -> any any (msg:"bad hex"; content:"|zz|"; sid:12; rev:1;)\n')
    return rules


@needs_data
def test_failed_rules_print_skip_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    counts = _replay(tmp_path, PCAPS / CASES[0], _bad_rules(tmp_path))
    err = capsys.readouterr().err.splitlines()
    reason = "detect-parse: unknown rule keyword 'no_such_kw'."
    assert f"rule sid:11 skipped: parse error: {reason}" in err
    assert any(line.startswith("rule sid:12 skipped: parse error: ") for line in err)
    assert set(counts) == {10}  # the good rule still runs


@needs_data
def test_strict_exits_3_on_failed_rule(tmp_path: Path) -> None:
    argv = ["replay", "--engine", "suricata", "--strict", "--pcap", str(PCAPS / CASES[0]),
            "--rules", str(_bad_rules(tmp_path)), "--eve", str(tmp_path / "o.json")]
    assert main(argv) == 3


@needs_data
def test_engine_reports_stats_and_vars(tmp_path: Path) -> None:
    from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions

    rules = tmp_path / "home.rules"
    rules.write_text('alert icmp $HOME_NET any -> any any (msg:"from home"; sid:20;)\n')
    settings = EngineSettings(address_vars={"HOME_NET": "[0.0.0.0/0]", "EXTERNAL_NET": "any"})
    engine = SuricataEngine(settings, SuricataEngineOptions(workdir=tmp_path / "work"))
    report = engine.load_rules([rules])
    alerts = list(engine.run(SourceSpec(pcap=PCAPS / CASES[0])))
    assert report.loaded == 1 and report.skipped == []
    assert alerts and engine.stats.packets > 0 and engine.stats.alerts == len(alerts)


@needs_data
def test_strict_writes_no_eve_when_a_rule_fails(tmp_path: Path) -> None:
    eve = tmp_path / "o.json"
    argv = ["replay", "--engine", "suricata", "--strict", "--pcap", str(PCAPS / CASES[0]),
            "--rules", str(_bad_rules(tmp_path)), "--eve", str(eve)]
    assert main(argv) == 3
    assert not eve.exists()


@needs_data
def test_rules_are_loaded_once_per_replay(tmp_path: Path) -> None:
    from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions

    rules = _subset(set(_expected(CASES[0], "default")), tmp_path / "subset.rules")
    engine = SuricataEngine(EngineSettings(), SuricataEngineOptions(workdir=tmp_path / "work"))
    report = engine.load_rules([rules])
    alerts = list(engine.run(SourceSpec(pcap=PCAPS / CASES[0])))
    log = (tmp_path / "work" / "replay" / "suricata.log").read_text()
    assert log.count("rules successfully loaded") == 1
    assert report.loaded == len(rules.read_text().splitlines()) and alerts


def test_a_broken_config_is_a_config_error(tmp_path: Path) -> None:
    from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions
    from yamori.errors import ConfigError

    rules = tmp_path / "ok.rules"
    rules.write_text('alert icmp any any -> any any (msg:"x"; sid:1;)\n')
    broken = EngineSettings(extra={"stream.memcap": "not-a-size"})
    engine = SuricataEngine(broken, SuricataEngineOptions(workdir=tmp_path / "work"))
    with pytest.raises(ConfigError):
        engine.load_rules([rules])
    engine.close()
