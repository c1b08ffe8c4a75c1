"""A real Agent (builtin engine) takes offered bundles: download, verify, swap, report.

Bundles are signed with a key made for the test and served over HTTP on
127.0.0.1; traffic is a scapy-made pcap of UDP packets whose payloads name the
rules that should fire.
"""

from __future__ import annotations

import threading
from typing import Any

from agent.daemon import Agent
from agent.rulesync.layout import RulesLayout
from agent.rulesync.updater import RuleUpdater
from rules.bundle import generate_key
from uplink.schema import HeartbeatAnswer, RuleOverride, RulesetOffer

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
GAMMA = 'alert udp any any -> any 9999 (msg:"gamma"; content:"GAMMA"; sid:3000003; rev:1;)'
TRAFFIC = [("10.0.0.5", b"xxALPHAxx"), ("10.0.0.6", b"BETA!"), ("10.0.0.7", b"GAMMA")]


def answer(offer: RulesetOffer) -> HeartbeatAnswer:
    return HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60, ruleset=offer)


def offer_and_wait(updater: RuleUpdater, offer: RulesetOffer) -> None:
    updater.on_answer(answer(offer))
    assert updater.wait_idle(30)


def test_update_is_applied_reported_and_survives_a_restart(kit: Any, alerts_of: Any) -> None:
    pcap = kit.pcap(TRAFFIC)
    agent = kit.agent(pcap)
    agent.reload_rules()  # the shipped rules, as at start
    shipped_version = agent.rules_version
    assert alerts_of(agent, pcap) == []
    updater = RuleUpdater(agent)
    offer_and_wait(updater, kit.offer(kit.bundle("2026.11.22.1", [ALPHA, BETA]), "2026.11.22.1"))

    status = updater.status()
    assert (status.state, status.reason) == ("ok", None)
    assert status.running == status.bundle == status.offered == "2026.11.22.1"
    assert (status.rules_loaded, status.rules_skipped) == (2, 0)
    assert status.updated_at is not None
    assert agent.rules_version == "2026.11.22.1" != shipped_version
    assert alerts_of(agent, pcap) == [3000001, 3000002]
    # The bearer token went to the collector's origin, with the GET.
    assert kit.server.requests[-1]["Authorization"] == "Bearer sensor-token"
    updater.stop()
    agent.close()

    restarted = kit.agent(pcap)  # a restart keeps the updated rules
    summary = restarted.run(threading.Event())
    assert restarted.rules_version == "2026.11.22.1"
    assert summary.rules_loaded == 2 and len(summary.alert_ids) == 2
    queued = restarted.queue.lease(100, 1_000_000)
    assert sorted(q.record["alert"]["signature_id"] for q in queued) == [3000001, 3000002]
    restarted.close()


def test_new_overrides_reuse_the_bundle_on_disk_with_a_304(kit: Any, alerts_of: Any) -> None:
    pcap = kit.pcap(TRAFFIC)
    agent = kit.agent(pcap)
    updater = RuleUpdater(agent)
    bundle = kit.bundle("2026.11.22.1", [ALPHA, BETA])
    offer_and_wait(updater, kit.offer(bundle, "2026.11.22.1"))
    path = f"/bundles/{bundle.name}"
    assert kit.server.downloads(path) == 1

    with_override = kit.offer(bundle, "2026.11.22.1",
                              overrides=[RuleOverride(kind="disable", sid=3000002)])
    offer_and_wait(updater, with_override)

    status = updater.status()
    assert status.state == "ok", status.reason
    assert status.running is not None and status.running.startswith("2026.11.22.1+o")
    assert status.bundle == "2026.11.22.1"
    assert kit.server.downloads(path) == 1 and kit.server.not_modified == 1
    assert '"' + with_override.sha256 + '"' in kit.server.requests[-1]["If-None-Match"]
    assert alerts_of(agent, pcap) == [3000001]
    updater.stop()
    agent.close()


def test_an_offer_equal_to_what_runs_is_a_no_op(kit: Any) -> None:
    agent = kit.agent(kit.pcap(TRAFFIC))
    updater = RuleUpdater(agent)
    offer = kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1")
    offer_and_wait(updater, offer)
    before = len(kit.server.requests)
    for _ in range(3):
        offer_and_wait(updater, offer)
    assert len(kit.server.requests) == before  # not even a conditional GET
    assert updater.status().state == "ok"
    updater.stop()
    agent.close()


def test_upgrades_keep_the_previous_bundle_and_prune_older_ones(kit: Any, alerts_of: Any) -> None:
    pcap = kit.pcap(TRAFFIC)
    agent = kit.agent(pcap)
    updater = RuleUpdater(agent)
    layout = RulesLayout(agent.config.sensor.data_dir)
    for n, rules in enumerate(([ALPHA], [ALPHA, BETA], [ALPHA, BETA, GAMMA]), 1):
        offer_and_wait(updater, kit.offer(kit.bundle(f"2026.11.{n}", rules), f"2026.11.{n}"))
        assert updater.status().state == "ok"
    assert layout.current.resolve().name == "2026.11.3"
    assert layout.previous.resolve().name == "2026.11.2"
    assert sorted(p.name for p in layout.bundles.iterdir()) == ["2026.11.2", "2026.11.3"]
    assert len(list(layout.archives.glob("*.tar.gz"))) == 2
    assert alerts_of(agent, pcap) == [3000001, 3000002, 3000003]
    updater.stop()
    agent.close()


def test_updates_swap_rules_under_a_running_capture(kit: Any) -> None:
    # A realtime pcap keeps the capture loop busy while the update lands.
    pcap = kit.pcap([("10.0.0.5", b"ALPHA")] * 150)
    config = kit.config(pcap)
    config.capture.realtime = True
    agent = Agent(config)
    updater = RuleUpdater(agent)
    stop = threading.Event()
    result: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: result.update(summary=agent.run(stop)))
    runner.start()
    try:
        offer_and_wait(updater, kit.offer(kit.bundle("2026.11.22.1", [ALPHA]), "2026.11.22.1"))
        assert updater.status().state == "ok"
    finally:
        runner.join(30)
    summary = result["summary"]
    assert summary.packets == 150  # the capture never stopped
    # Alerts start once the bundle runs (the shipped rules do not match ALPHA).
    assert 0 < len(summary.alert_ids) < 150
    updater.stop()
    agent.close()


def test_the_collectors_effective_version_is_what_runs_and_is_reported(kit: Any) -> None:
    agent = kit.agent(kit.pcap(TRAFFIC))
    updater = RuleUpdater(agent)
    named = kit.offer(kit.bundle("2026.11.22.1", [ALPHA, BETA]), "2026.11.22.1",
                      overrides=[RuleOverride(kind="disable", sid=3000002)],
                      effective_version="2026.11.22.1+ofromcollector")
    offer_and_wait(updater, named)
    assert updater.status().running == agent.rules_version == "2026.11.22.1+ofromcollector"
    requests = len(kit.server.requests)
    offer_and_wait(updater, named)  # in step: nothing to do
    assert len(kit.server.requests) == requests
    # A bad offer fails, then the collector withdraws it: the box reports it is in step.
    offer_and_wait(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA], key=generate_key()),
                                      "2026.11.23.1"))
    assert updater.status().state == "refused"
    offer_and_wait(updater, named)
    assert (updater.status().state, updater.status().reason) == ("ok", None)
    updater.stop()
    agent.close()
