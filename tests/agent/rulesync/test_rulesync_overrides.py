"""Per-tenant overrides on an extracted bundle, and their effect on detection.

Unit tests edit a ruleset directory directly; the end-to-end ones deliver
the overrides in an offer to a real Agent (builtin engine) and replay a
scapy-made pcap through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.rulesync.overrides import apply, effective_version, threshold_line
from agent.rulesync.updater import RuleUpdater
from collector.overrides import effective_version as collector_effective_version
from uplink.schema import HeartbeatAnswer, RuleOverride, RulesetOffer
from yamori.errors import BundleError

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
VERSION = "2026.11.22.1"


def test_disable_comments_out_every_line_of_the_rule(tmp_path: Path) -> None:
    (tmp_path / "a.rules").write_text(
        "# header\n"
        'alert udp any any -> any 1 (msg:"keep"; sid:10; rev:1;)\n'
        'alert udp any any -> any 2 (msg:"multi"; \\\n    content:"x"; sid:11; rev:1;)\n'
        'alert udp any any -> any 3 (msg:"other gid"; gid:2; sid:10; rev:1;)\n')
    (tmp_path / "b.rules").write_text('alert udp any any -> any 4 (msg:"b"; sid:12; rev:1;)')
    applied = apply(tmp_path, [RuleOverride(kind="disable", sid=11),
                               RuleOverride(kind="disable", gid=2, sid=10),
                               RuleOverride(kind="disable", sid=12),
                               RuleOverride(kind="disable", sid=99)])
    assert (applied.disabled, applied.missing) == (3, ("1:99",))
    assert (tmp_path / "a.rules").read_text() == (
        "# header\n"
        'alert udp any any -> any 1 (msg:"keep"; sid:10; rev:1;)\n'
        '# alert udp any any -> any 2 (msg:"multi"; \\\n#     content:"x"; sid:11; rev:1;)\n'
        '# alert udp any any -> any 3 (msg:"other gid"; gid:2; sid:10; rev:1;)\n')
    assert (tmp_path / "b.rules").read_text() == \
        '# alert udp any any -> any 4 (msg:"b"; sid:12; rev:1;)'


def test_suppress_and_threshold_append_threshold_config_lines(tmp_path: Path) -> None:
    (tmp_path / "threshold.config").write_text("suppress gen_id 1, sig_id 5")  # no newline
    applied = apply(tmp_path, [
        RuleOverride(kind="suppress", sid=7),
        RuleOverride(kind="suppress", sid=8, track="by_src", ip="10.0.0.5"),
        RuleOverride(kind="suppress", sid=9, track="by_either", ip="[10.0.0.0/8, 192.0.2.1]"),
        RuleOverride(kind="threshold", sid=10, type="limit", track="by_src", count=1,
                     seconds=3600)])
    assert applied.threshold_lines == 4
    assert (tmp_path / "threshold.config").read_text() == (
        "suppress gen_id 1, sig_id 5\n"
        "# yamori: per-tenant overrides\n"
        "suppress gen_id 1, sig_id 7\n"
        "suppress gen_id 1, sig_id 8, track by_src, ip 10.0.0.5/32\n"
        "suppress gen_id 1, sig_id 9, track by_either, ip [10.0.0.0/8,192.0.2.1/32]\n"
        "threshold gen_id 1, sig_id 10, type limit, track by_src, count 1, seconds 3600\n")


@pytest.mark.parametrize("override", [
    RuleOverride(kind="suppress", sid=1, track="by_src"),  # no ip
    RuleOverride(kind="suppress", sid=1, ip="10.0.0.1"),  # no track
    RuleOverride(kind="suppress", sid=1, track="by_rule", ip="10.0.0.1"),
    RuleOverride(kind="suppress", sid=1, track="by_src", ip="10.0.0.1\nsuppress gen_id 0"),
    RuleOverride(kind="suppress", sid=1, track="by_src", ip="$HOME_NET"),
    RuleOverride(kind="threshold", sid=1, type="limit", track="by_src", count=1),
    RuleOverride(kind="threshold", sid=1, type="limit", track="by_either", count=1, seconds=1),
])
def test_overrides_that_cannot_be_written_are_refused(override: RuleOverride) -> None:
    with pytest.raises(BundleError):
        threshold_line(override)


def test_effective_version_is_the_collectors() -> None:
    overrides = [RuleOverride(kind="disable", sid=5),
                 RuleOverride(kind="suppress", sid=6, track="by_src", ip="10.0.0.1")]
    assert effective_version(VERSION, overrides) == \
        collector_effective_version(VERSION, overrides)
    assert effective_version(VERSION, []) == VERSION


# -- delivered in an offer -------------------------------------------------------------


def deliver(kit: Any, overrides: list[RuleOverride], traffic: list[tuple[str, bytes]]) -> Any:
    pcap = kit.pcap(traffic)
    agent = kit.agent(pcap)
    updater = RuleUpdater(agent)
    offer = kit.offer(kit.bundle(VERSION, [ALPHA, BETA]), VERSION, overrides=overrides)
    updater.on_answer(HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60,
                                      ruleset=offer))
    assert updater.wait_idle(30)
    status = updater.status()
    assert status.state == "ok", status.reason
    assert status.running == effective_version(VERSION, overrides)
    updater.stop()
    return agent, pcap


def test_a_disabled_sid_no_longer_alerts(kit: Any, alerts_of: Any) -> None:
    traffic = [("10.0.0.5", b"ALPHA"), ("10.0.0.5", b"BETA"), ("10.0.0.6", b"BETA")]
    agent, pcap = deliver(kit, [RuleOverride(kind="disable", sid=3000002)], traffic)
    assert alerts_of(agent, pcap) == [3000001]
    assert agent.rules_loaded == 1
    agent.close()


def test_a_suppress_entry_suppresses(kit: Any, alerts_of: Any) -> None:
    traffic = [("10.0.0.5", b"ALPHA"), ("10.0.0.5", b"BETA"), ("10.0.0.6", b"BETA"),
               ("10.0.0.6", b"ALPHA")]
    overrides = [RuleOverride(kind="suppress", sid=3000002, track="by_src", ip="10.0.0.5"),
                 RuleOverride(kind="suppress", sid=3000001)]
    agent, pcap = deliver(kit, overrides, traffic)
    assert alerts_of(agent, pcap) == [3000002]  # only beta from 10.0.0.6
    agent.close()


def test_a_threshold_entry_limits(kit: Any, alerts_of: Any) -> None:
    traffic = [("10.0.0.5", b"ALPHA")] * 5 + [("10.0.0.6", b"ALPHA")] * 2
    overrides = [RuleOverride(kind="threshold", sid=3000001, type="limit", track="by_src",
                              count=1, seconds=3600)]
    agent, pcap = deliver(kit, overrides, traffic)
    assert alerts_of(agent, pcap) == [3000001, 3000001]  # one per source
    agent.close()


def test_a_bad_override_refuses_the_offer(kit: Any) -> None:
    agent = kit.agent(kit.pcap([("10.0.0.5", b"ALPHA")]))
    updater = RuleUpdater(agent)
    bad = RulesetOffer.model_validate({
        **kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION).model_dump(),
        "overrides": [{"kind": "suppress", "sid": 3000001, "track": "by_src"}]})
    updater.on_answer(HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60,
                                      ruleset=bad))
    assert updater.wait_idle(30)
    status = updater.status()
    assert status.state == "refused" and "needs track" in (status.reason or "")
    assert status.bundle is None
    updater.stop()
    agent.close()
