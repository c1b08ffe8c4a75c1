"""The updater in the agent: heartbeat answers in, ruleset status out, config, start-up.

The heartbeat goes over HTTP to the loopback stand-in collector, whose
answer carries the offer; the next heartbeat must carry the outcome.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from agent.config import load_agent_config
from agent.daemon import Agent, rule_files
from agent.rulesync.layout import RulesLayout
from agent.rulesync.updater import RuleUpdater
from agent.service import heartbeat_collect
from uplink.heartbeat import HeartbeatSender
from uplink.schema import HeartbeatAnswer
from yamori.errors import ConfigError

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
VERSION = "2026.11.22.1"


def answer_with(offer: Any) -> dict[str, Any]:
    return {"server_time": "2026-11-22T10:00:00Z", "next_interval": 60,
            "ruleset": offer.model_dump(mode="json")}


def test_heartbeat_answer_drives_the_update_and_the_next_beat_reports_it(kit: Any) -> None:
    agent = kit.agent(kit.pcap([("10.0.0.5", b"ALPHA")]))
    agent.reload_rules()
    updater = RuleUpdater(agent)
    offer = kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION)
    kit.server.answer = answer_with(offer)
    sender = HeartbeatSender(kit.server.url, "sensor-token", "pi-test",
                             heartbeat_collect(agent, updater), on_answer=updater.on_answer)
    sender.beat_once()
    assert updater.wait_idle(30)
    sender.beat_once()
    first, second = kit.server.heartbeats
    assert first["ruleset"]["state"] == "idle" and "bundle" not in first["ruleset"]
    assert first["rules_version"].startswith("sha256:")
    reported = second["ruleset"]
    assert {k: reported.get(k) for k in ("running", "bundle", "offered", "state", "reason",
                                         "rules_loaded", "rules_skipped")} == {
        "running": VERSION, "bundle": VERSION, "offered": VERSION, "state": "ok",
        "reason": None, "rules_loaded": 1, "rules_skipped": 0}
    assert reported["updated_at"].endswith("Z")
    assert second["rules_version"] == VERSION
    sender.close()
    updater.stop()
    agent.close()


def test_a_failing_answer_handler_never_breaks_the_heartbeat(
        kit: Any, caplog: pytest.LogCaptureFixture) -> None:
    def explode(_: HeartbeatAnswer) -> None:
        raise RuntimeError("boom")

    sender = HeartbeatSender(kit.server.url, "sensor-token", "pi-test",
                             lambda: {"version": "x", "uptime": 0}, on_answer=explode)
    with caplog.at_level(logging.ERROR):
        answer = sender.beat_once()
    assert answer.next_interval == 60 and sender.last_answer is answer
    assert "heartbeat answer handler failed" in caplog.text
    sender.close()


def test_auto_update_off_reports_and_applies_nothing(kit: Any) -> None:
    agent = kit.agent(kit.pcap([("10.0.0.5", b"ALPHA")]), auto_update=False)
    updater = RuleUpdater(agent)
    offer = kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION)
    updater.on_answer(HeartbeatAnswer.model_validate(answer_with(offer)))
    assert updater.wait_idle(5)
    status = updater.status()
    assert (status.state, status.reason, status.offered) == ("idle", "rules.auto_update is off",
                                                             VERSION)
    assert kit.server.requests == [] and status.bundle is None
    updater.stop()
    agent.close()


def test_explicit_rules_in_the_config_win_over_the_installed_bundle(kit: Any,
                                                                     tmp_path: Path) -> None:
    pcap = kit.pcap([("10.0.0.5", b"ALPHA")])
    agent = kit.agent(pcap)
    updater = RuleUpdater(agent)
    updater.on_answer(HeartbeatAnswer.model_validate(
        answer_with(kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION))))
    assert updater.wait_idle(30) and updater.status().state == "ok"
    updater.stop()
    agent.close()
    installed = RulesLayout(agent.config.sensor.data_dir).current.resolve()
    assert [p.parent for p in rule_files(agent.config)] == [installed]

    own = tmp_path / "own.rules"
    own.write_text(ALPHA.replace("3000001", "3000099") + "\n")
    pinned = kit.config(pcap)
    pinned.engine.rules = [own]
    assert rule_files(pinned) == [own]
    pinned_agent = Agent(pinned)
    assert pinned_agent.rules_version is not None
    assert pinned_agent.rules_version.startswith("sha256:")
    pinned_updater = RuleUpdater(pinned_agent)
    pinned_updater.apply(kit.offer(kit.bundle("2026.11.23.1", [ALPHA]), "2026.11.23.1"))
    status = pinned_updater.status()
    assert status.state == "refused" and "engine.rules" in (status.reason or "")
    pinned_updater.stop()
    pinned_agent.close()


def test_rules_section_of_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    path.write_text('[capture]\npcap = "x.pcap"\n'
                    '[rules]\nauto_update = false\nvendor_keys = ["keys/vendor.pub"]\n'
                    'max_bundle_bytes = 2048\n')
    config = load_agent_config(path)
    assert config.rules.auto_update is False
    assert config.rules.vendor_keys == [tmp_path / "keys" / "vendor.pub"]
    assert config.rules.max_bundle_bytes == 2048
    defaults = load_agent_config(None, {"capture": {"pcap": "x.pcap"}})
    assert defaults.rules.vendor_keys == [] and defaults.rules.auto_update is True
    path.write_text('[capture]\npcap = "x.pcap"\n[rules]\nverify = false\n')
    with pytest.raises(ConfigError, match="rules.verify"):
        load_agent_config(path)


def test_offers_wait_until_the_engine_runs(kit: Any) -> None:
    agent = kit.agent(kit.pcap([("10.0.0.5", b"ALPHA")]))
    started = False
    updater = RuleUpdater(agent, ready=lambda: started)
    answer = HeartbeatAnswer.model_validate(
        answer_with(kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION)))
    updater.on_answer(answer)  # the agent is still loading its rules at start
    assert updater.wait_idle(5)
    assert kit.server.requests == [] and updater.status().offered == VERSION
    started = True
    updater.on_answer(answer)  # the next heartbeat
    assert updater.wait_idle(30)
    assert updater.status().running == VERSION
    updater.stop()
    agent.close()
