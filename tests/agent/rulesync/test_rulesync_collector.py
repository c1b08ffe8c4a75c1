"""Against the real collector on loopback: publish, heartbeat offer, download, swap, report.

The collector (uvicorn in a thread) holds the vendor's public key and a
published bundle; the agent side is a real Agent with its HeartbeatSender
and RuleUpdater wired as agent/service.py wires them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from agent.daemon import Agent
from agent.rulesync.updater import RuleUpdater
from agent.service import heartbeat_collect
from collector.fleet.testing import admin_headers, fleet_config
from collector.testing import LiveCollector, enroll, serve_in_thread
from uplink.heartbeat import HeartbeatSender

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
VERSION = "2026.11.22.1"
TENANT = "tanaka-kogyo"


@pytest.fixture
def collector(kit: Any, tmp_path: Path) -> Iterator[LiveCollector]:
    base = tmp_path / "collector"
    base.mkdir()
    config = fleet_config(base, rules_dir=str(base / "rulesets"),
                          rules_vendor_key_file=str(kit.pub), offline_check_seconds=3600.0)
    with serve_in_thread(config) as live:
        yield live


def test_full_update_cycle_with_the_collector(kit: Any, collector: LiveCollector,
                                              alerts_of: Any) -> None:
    bundle = kit.bundle(VERSION, [ALPHA, BETA])
    published = requests.post(collector.url + "/api/v1/rulesets", data=bundle.read_bytes(),
                              params={"channel": "stable"}, headers=admin_headers(), timeout=10)
    assert published.status_code == 201, published.text
    token = enroll(collector.app, "pi-test", TENANT)
    pcap = kit.pcap([("10.0.0.5", b"ALPHA"), ("10.0.0.6", b"BETA")])
    config = kit.config(pcap)
    config.uplink.url, config.uplink.token, config.sensor.tenant = collector.url, token, TENANT
    agent = Agent(config)
    agent.reload_rules()
    updater = RuleUpdater(agent)
    sender = HeartbeatSender(collector.url, token, "pi-test", heartbeat_collect(agent, updater),
                             tenant=TENANT, on_answer=updater.on_answer)
    try:
        answer = sender.beat_once()
        assert answer.ruleset is not None and answer.ruleset.version == VERSION
        assert updater.wait_idle(30)
        status = updater.status()
        assert (status.state, status.running, status.reason) == ("ok", VERSION, None)
        assert alerts_of(agent, pcap) == [3000001, 3000002]

        # The tenant's analyst disables beta: the next offer layers it on the same bundle.
        override = requests.post(f"{collector.url}/api/v1/tenants/{TENANT}/overrides",
                                 json={"kind": "disable", "sid": 3000002, "reason": "noisy"},
                                 headers=admin_headers(), timeout=10)
        assert override.status_code in (200, 201), override.text
        answer = sender.beat_once()
        assert answer.ruleset is not None and answer.ruleset.effective_version != VERSION
        assert updater.wait_idle(30)
        status = updater.status()
        assert status.state == "ok", status.reason
        assert status.running == answer.ruleset.effective_version
        assert alerts_of(agent, pcap) == [3000001]

        sender.beat_once()  # reports the new state; the offer now matches what runs
        assert updater.wait_idle(30) and updater.status().state == "ok"
    finally:
        sender.close()
        updater.stop()
        agent.close()
