"""Rollback offers: only to the bundle in `previous`, re-verified from disk, never downloaded."""

from __future__ import annotations

import io
import os
import tarfile
from typing import Any

import pytest

from agent.rulesync.layout import RulesLayout
from agent.rulesync.updater import RuleUpdater
from uplink.schema import HeartbeatAnswer, RulesetOffer

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
TRAFFIC = [("10.0.0.5", b"ALPHA"), ("10.0.0.6", b"BETA")]
V1, V2 = "2026.11.22.1", "2026.11.23.1"


def offer(updater: RuleUpdater, ruleset: RulesetOffer) -> None:
    updater.on_answer(HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60,
                                      ruleset=ruleset))
    assert updater.wait_idle(30)


@pytest.fixture
def upgraded(kit: Any) -> Any:
    """An agent that ran V1 (alpha) and now runs V2 (alpha + beta)."""
    pcap = kit.pcap(TRAFFIC)
    agent = kit.agent(pcap)
    updater = RuleUpdater(agent)
    v1 = kit.offer(kit.bundle(V1, [ALPHA]), V1)
    offer(updater, v1)
    offer(updater, kit.offer(kit.bundle(V2, [ALPHA, BETA]), V2))
    assert updater.status().running == V2
    yield agent, updater, pcap, v1
    updater.stop()
    agent.close()


def test_rollback_to_previous_is_honoured_from_disk(kit: Any, upgraded: Any,
                                                    alerts_of: Any) -> None:
    agent, updater, pcap, v1 = upgraded
    kit.server.files.clear()  # the bundle is no longer published anywhere
    requests_before = len(kit.server.requests)
    offer(updater, v1.model_copy(update={"rollback": True}))
    status = updater.status()
    assert (status.state, status.running, status.bundle) == ("ok", V1, V1)
    assert agent.rules_version == V1
    assert alerts_of(agent, pcap) == [3000001]
    assert len(kit.server.requests) == requests_before  # nothing was downloaded
    layout = RulesLayout(agent.config.sensor.data_dir)
    assert layout.previous.resolve().name == V2  # and V2 could come back


def test_rollback_to_any_other_version_is_refused(kit: Any, upgraded: Any,
                                                  alerts_of: Any) -> None:
    agent, updater, pcap, _ = upgraded
    older = kit.offer(kit.bundle("2026.11.1", [ALPHA]), "2026.11.1", rollback=True)
    offer(updater, older)
    status = updater.status()
    assert status.state == "refused"
    assert status.reason == ("rollback to 2026.11.1 refused: the previous bundle on this box "
                             "is 2026.11.22.1 (older bundles are downgrades)")
    assert status.running == V2 and alerts_of(agent, pcap) == [3000001, 3000002]
    assert kit.server.downloads(older.url) == 0


def test_rollback_refuses_a_previous_bundle_tampered_on_disk(kit: Any, upgraded: Any,
                                                             alerts_of: Any) -> None:
    agent, updater, pcap, v1 = upgraded
    layout = RulesLayout(agent.config.sensor.data_dir)
    archive = layout.archive(v1.sha256)
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    members["yamori.rules"] = members["yamori.rules"].replace(b"ALPHA", b"ALPHX")
    os.chmod(archive, 0o644)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    offer(updater, v1.model_copy(update={"rollback": True}))
    status = updater.status()
    assert status.state == "refused"
    assert status.reason == "file yamori.rules does not match its manifest hash (tampered)"
    assert status.running == V2 and alerts_of(agent, pcap) == [3000001, 3000002]


def test_a_plain_offer_of_the_previous_version_is_a_downgrade(kit: Any, upgraded: Any) -> None:
    _, updater, _, v1 = upgraded
    offer(updater, v1)
    status = updater.status()
    assert status.state == "refused" and "(downgrade)" in (status.reason or "")
    assert status.running == V2
