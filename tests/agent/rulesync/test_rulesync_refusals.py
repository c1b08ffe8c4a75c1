"""Bad bundles are refused with their reason, and the running ruleset stays.

Each test first installs a good bundle (2026.11.22.1: alpha), then offers a
bad one and checks the reason reported, that the running version, the rules
the engine raises and the `current` link are unchanged, and that a refused
offer is not fetched again before its backoff expires.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from agent.rulesync.layout import RulesLayout
from agent.rulesync.updater import RuleUpdater
from rules.bundle import generate_key, key_id
from uplink.schema import HeartbeatAnswer, RulesetOffer

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
BETA = 'alert udp any any -> any 9999 (msg:"beta"; content:"BETA"; sid:3000002; rev:1;)'
TRAFFIC = [("10.0.0.5", b"ALPHA"), ("10.0.0.6", b"BETA")]
GOOD = "2026.11.22.1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def running(kit: Any) -> Any:
    """An agent running bundle GOOD, its updater (fake clock) and the pcap."""
    pcap = kit.pcap(TRAFFIC)
    agent = kit.agent(pcap)
    clock = FakeClock()
    updater = RuleUpdater(agent, clock=clock)
    offer(updater, kit.offer(kit.bundle(GOOD, [ALPHA]), GOOD))
    assert updater.status().state == "ok"
    yield agent, updater, pcap, clock
    updater.stop()
    agent.close()


def offer(updater: RuleUpdater, ruleset: RulesetOffer) -> None:
    updater.on_answer(HeartbeatAnswer(server_time="2026-11-22T10:00:00Z", next_interval=60,
                                      ruleset=ruleset))
    assert updater.wait_idle(30)


def assert_unchanged(agent: Any, updater: RuleUpdater, pcap: Path, alerts_of: Any) -> None:
    status = updater.status()
    assert status.running == status.bundle == GOOD
    assert agent.rules_version == GOOD
    assert RulesLayout(agent.config.sensor.data_dir).current.resolve().name == GOOD
    assert alerts_of(agent, pcap) == [3000001]


def rewrite(bundle: Path, out: Path, change: Any) -> Path:
    """Copy a bundle's members through `change(members) -> members` into `out`."""
    with tarfile.open(bundle, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]
    with tarfile.open(out, "w:gz") as tar:
        for name, data in change(members).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def refused(updater: RuleUpdater, state: str = "refused") -> str:
    status = updater.status()
    assert status.state == state, status
    assert status.reason
    return status.reason


def test_tampered_bundle_is_refused(kit: Any, running: Any, alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    good = kit.bundle("2026.11.23.1", [ALPHA, BETA])
    tampered = rewrite(good, kit.tmp / "tampered.tar.gz", lambda m: {
        **m, "yamori.rules": m["yamori.rules"].replace(b"BETA", b"BETX")})
    offer(updater, kit.offer(tampered, "2026.11.23.1"))
    assert "yamori.rules does not match its manifest hash (tampered)" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_unsigned_bundle_is_refused(kit: Any, running: Any, alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    unsigned = rewrite(kit.bundle("2026.11.23.1", [ALPHA, BETA]), kit.tmp / "unsigned.tar.gz",
                       lambda m: {k: v for k, v in m.items() if k != "manifest.sig"})
    offer(updater, kit.offer(unsigned, "2026.11.23.1"))
    assert "unsigned" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_bundle_signed_by_an_unknown_key_is_refused(kit: Any, running: Any,
                                                    alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    stranger = generate_key()
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA], key=stranger),
                             "2026.11.23.1"))
    reason = refused(updater)
    assert "signed by unknown key" in reason and key_id(stranger.public_key()) in reason
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_downgrade_is_refused_without_a_download(kit: Any, running: Any,
                                                 alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    old = kit.offer(kit.bundle("2026.11.21.9", [ALPHA, BETA]), "2026.11.21.9")
    offer(updater, old)
    assert "older than the running 2026.11.22.1 (downgrade)" in refused(updater)
    assert kit.server.downloads(old.url) == 0
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_offer_lying_about_its_version_is_refused_by_the_signature(kit: Any, running: Any,
                                                                   alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    # Signed as an older version, offered as a newer one: the signed version decides.
    offer(updater, kit.offer(kit.bundle("2026.11.21.9", [ALPHA, BETA]), "2026.11.23.1"))
    assert "not newer than running 2026.11.22.1" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_same_version_with_other_contents_is_refused_as_a_replay(kit: Any, running: Any,
                                                                 alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    offer(updater, kit.offer(kit.bundle(GOOD, [ALPHA, BETA]), GOOD,
                             effective_version=GOOD + "+oabc"))
    assert "replay" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_oversize_bundle_is_refused(kit: Any, running: Any, alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    big = kit.bundle("2026.11.23.1", [ALPHA, BETA])
    agent.config.rules.max_bundle_bytes = big.stat().st_size - 1
    offer(updater, kit.offer(big, "2026.11.23.1", size=None))
    assert f"larger than the {big.stat().st_size - 1}-byte limit" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_body_longer_than_announced_is_cut_off_while_streaming(kit: Any, running: Any,
                                                               alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    # The offer understates the size: the cap holds while the body streams in.
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA]), "2026.11.23.1",
                             size=100))
    assert "larger than the 100 bytes the offer announced" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)
    assert list(RulesLayout(agent.config.sensor.data_dir).download.iterdir()) == []


def test_offer_announcing_too_many_bytes_is_refused_before_download(kit: Any, running: Any,
                                                                   alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    agent.config.rules.max_bundle_bytes = 4096
    big = kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA]), "2026.11.23.1", size=10**9)
    offer(updater, big)
    assert "larger than the 4096-byte limit" in refused(updater)
    assert kit.server.downloads(big.url) == 0
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_sha256_mismatch_is_refused(kit: Any, running: Any, alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA]), "2026.11.23.1",
                             sha256="0" * 64))
    assert "sha256 mismatch" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_without_a_vendor_key_every_update_is_refused(kit: Any, running: Any,
                                                      alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    agent.config.rules.vendor_keys = []
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA]), "2026.11.23.1"))
    assert "no vendor key configured" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_missing_bundle_fails_and_keeps_the_rules(kit: Any, running: Any,
                                                  alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [ALPHA, BETA]), "2026.11.23.1",
                             publish=False))
    assert "404" in refused(updater, "failed")
    assert_unchanged(agent, updater, pcap, alerts_of)


def test_bundle_the_builtin_engine_cannot_load_is_refused(kit: Any, running: Any,
                                                          alerts_of: Any) -> None:
    agent, updater, pcap, _ = running
    broken = 'alert udp any any -> any 9999 (msg:"broken"; nosuchkeyword; sid:3000009; rev:1;)'
    offer(updater, kit.offer(kit.bundle("2026.11.23.1", [broken]), "2026.11.23.1"))
    assert "builtin engine loads none of the bundle's 1 rules" in refused(updater)
    assert_unchanged(agent, updater, pcap, alerts_of)
    assert sorted(p.name for p in RulesLayout(agent.config.sensor.data_dir).bundles.iterdir()) \
        == [GOOD]


def test_a_refused_offer_backs_off_and_is_retried_later(kit: Any, running: Any) -> None:
    _, updater, _, clock = running
    bad = kit.offer(kit.bundle("2026.11.23.1", [ALPHA], key=generate_key()), "2026.11.23.1")
    offer(updater, bad)
    assert kit.server.downloads(bad.url) == 1
    for _ in range(5):  # heartbeats within the backoff: no new attempt
        clock.now += 10
        offer(updater, bad)
    assert kit.server.downloads(bad.url) == 1
    clock.now += 60
    offer(updater, bad)  # the backoff ran out: one more try (the archive was discarded)
    assert kit.server.downloads(bad.url) == 2
    clock.now += 61
    offer(updater, bad)  # the second failure doubled the wait
    assert kit.server.downloads(bad.url) == 2
    assert "signed by unknown key" in refused(updater)
