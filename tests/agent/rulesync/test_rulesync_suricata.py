"""Suricata mode: bundles are test-loaded with the real `suricata -T` before they run.

Skipped where /usr/bin/suricata is absent. The Agent here runs Suricata over a
pcap (agent/engines/suricata/engine.py), so its reload is a real Suricata
loading the new rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.engines.settings import build_settings
from agent.rulesync.install import Installer
from agent.rulesync.layout import RulesLayout
from agent.rulesync.testload import SuricataTestLoad
from agent.rulesync.updater import RuleUpdater
from uplink.schema import HeartbeatAnswer, RuleOverride, RulesetOffer
from yamori.errors import BundleError

SURICATA = Path("/usr/bin/suricata")
pytestmark = pytest.mark.skipif(not SURICATA.exists(), reason="needs /usr/bin/suricata")

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
BROKEN = 'alert udp any any -> any 9999 (msg:"broken"; nosuchkeyword; sid:3000009; rev:1;)'


def offer(updater: RuleUpdater, ruleset: RulesetOffer) -> None:
    updater.on_answer(HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60,
                                      ruleset=ruleset))
    assert updater.wait_idle(120)


def test_installer_test_loads_with_suricata(kit: Any, tmp_path: Path) -> None:
    layout = RulesLayout(tmp_path / "data")
    installer = Installer(layout, SuricataTestLoad(SURICATA, build_settings()), 1 << 20)
    overrides = [RuleOverride(kind="suppress", sid=3000002, track="by_either",
                              ip="[10.0.0.0/8,192.0.2.1]"),
                 RuleOverride(kind="threshold", sid=3000001, type="limit", track="by_src",
                              count=1, seconds=60),
                 RuleOverride(kind="disable", sid=3000002)]
    good = kit.bundle("2026.11.22.1", [ALPHA, BETA])
    keys = [kit.key.public_key()]
    prepared = installer.prepare(good, "0" * 64, "2026.11.22.1", overrides, keys,
                                 newer_than=None, baseline=None)
    assert prepared.load.loaded == 1  # beta is disabled; Suricata accepted the thresholds
    broken = kit.bundle("2026.11.22.2", [ALPHA, BROKEN])
    with pytest.raises(BundleError) as info:
        installer.prepare(broken, "0" * 64, "2026.11.22.2", [], keys, newer_than=None,
                          baseline=None)
    assert info.value.reason.startswith("suricata -T: rule sid:3000009 rejected")
    assert not (layout.bundles / "2026.11.22.2").exists()


def test_suricata_agent_takes_a_bundle_and_refuses_a_broken_one(kit: Any,
                                                                 alerts_of: Any) -> None:
    pcap = kit.pcap([("10.0.0.5", b"ALPHA"), ("10.0.0.6", b"BETA")])
    agent = kit.agent(pcap, engine="suricata")
    try:
        agent.reload_rules()
        updater = RuleUpdater(agent)
        assert isinstance(updater.installer.tester, SuricataTestLoad)
        offer(updater, kit.offer(kit.bundle("2026.11.22.1", [ALPHA, BETA]), "2026.11.22.1"))
        status = updater.status()
        assert (status.state, status.running, status.rules_loaded) == ("ok", "2026.11.22.1", 2)

        offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BROKEN]), "2026.11.23.1"))
        status = updater.status()
        assert status.state == "refused"
        assert (status.reason or "").startswith("suricata -T: rule sid:3000009 rejected")
        assert status.running == agent.rules_version == "2026.11.22.1"
        assert sorted(alerts_of(agent, pcap)) == [3000001, 3000002]
        updater.stop()
    finally:
        agent.close()
