"""The canary check through the real HTTP app: hold, rollback offers, evidence, feed event.

Heartbeats carry cumulative engine counters as the agent sends them
(decoder.pkts, detect.alert, detect.seconds). The heartbeat route's clock is
a StepClock: every heartbeat arrives one 60 s interval after the one before
(whichever sensor sends it), so canary_min_seconds = 120 passes two
heartbeats after a swap, deterministically and without sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collector.fleet import events
from collector.fleet.testing import admin_headers
from collector.rulesets.canary import MIN_PACKETS, CanaryLimits, judge
from collector.rulesets.figures import Figures, Sample, figures, sample_of
from collector.rulesets.testing import Box, Fleet, StepClock

BundleMaker = Callable[..., Path]
V1, V2, V3 = "2026.11.22.1", "2026.11.29.1", "2026.11.29.2"
MIN_SECONDS = 120.0
EVERY_PACKET = 'alert ip any any -> any any (msg:"every packet"; sid:1999999; rev:1;)\n'


@pytest.fixture
def canary_fleet(fleet_factory: Callable[..., Fleet], monkeypatch: pytest.MonkeyPatch) -> Fleet:
    monkeypatch.setattr("collector.api.routes.heartbeat.utcnow", StepClock(step=60.0))
    return fleet_factory(canary_min_seconds=MIN_SECONDS, canary_alert_factor=5.0,
                         canary_cost_factor=3.0)


def _start(fleet: Fleet, make_bundle: BundleMaker, *canaries: str) -> dict[str, Box]:
    """V1 on stable, running everywhere with a steady baseline; the named boxes are canaries."""
    fleet.publish(make_bundle(V1), "stable")
    boxes = {name: fleet.enroll(name) for name in (*canaries, "pi-stable")}
    for name in canaries:
        assert fleet.admin("PUT", f"/api/v1/sensors/{name}/channel",
                           json={"channel": "canary"}).status_code == 200
    for box in boxes.values():
        offer = fleet.beat(box, 1000, 2, 0.02)["ruleset"]
        for _ in range(3):
            fleet.run_offer(box, offer, 1000, 2, 0.02)  # 0.002 alerts and 20 us per packet
    return boxes


def _swap_to(fleet: Fleet, box: Box) -> dict[str, Any]:
    offer = fleet.beat(box, 1000, 2, 0.02)["ruleset"]
    fleet.run_offer(box, offer, 1000, 2, 0.02)
    return offer  # type: ignore[no-any-return]


def _feed(fleet: Fleet, sid: int) -> list[dict[str, Any]]:
    answer = fleet.client.get("/api/v1/alerts", params={"sid": sid}, headers=admin_headers())
    assert answer.status_code == 200, answer.text
    return answer.json()["alerts"]  # type: ignore[no-any-return]


def test_a_rule_firing_on_every_packet_is_held_and_rolled_back(
        canary_fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet = canary_fleet
    boxes = _start(fleet, make_bundle, "pi-c1", "pi-c2")
    assert fleet.publish(make_bundle(V2, rules=EVERY_PACKET)).status_code == 201
    for name in ("pi-c1", "pi-c2"):
        assert _swap_to(fleet, boxes[name])["version"] == V2
    assert fleet.beat(boxes["pi-stable"], 1000, 2, 0.02)["ruleset"]["version"] == V1
    # pi-c2 sees no change: judged and passed. pi-c1 alerts on every packet: held.
    assert fleet.beat(boxes["pi-c2"], 1000, 2, 0.02)["ruleset"]["version"] == V2
    answer = fleet.beat(boxes["pi-c1"], 1000, 1000, 0.02)["ruleset"]
    assert (answer["version"], answer["rollback"]) == (V1, True)
    again = fleet.beat(boxes["pi-c2"], 1000, 2, 0.02)["ruleset"]
    assert (again["version"], again["rollback"]) == (V1, True)
    assert fleet.beat(boxes["pi-stable"], 1000, 2, 0.02)["ruleset"]["version"] == V1

    bundle = {b["version"]: b for b in fleet.status()["bundles"]}[V2]
    assert bundle["status"] == "held" and "alerts per packet" in bundle["held_reason"]
    rollouts = {r["sensor_id"]: r for r in bundle["rollouts"]}
    held = rollouts["pi-c1"]
    assert held["verdict"] == "held" and held["evidence"]["reasons"]
    assert held["baseline"]["alerts_per_packet"] == pytest.approx(0.002)
    assert held["after"]["alerts_per_packet"] > 5 * held["baseline"]["alerts_per_packet"]
    assert held["evidence"]["alert_ratio"] > 5.0
    assert rollouts["pi-c2"]["evidence"]["before"]["packets"] >= MIN_PACKETS

    feed = _feed(fleet, events.RULESET_HELD.sid)
    assert len(feed) == 1
    event = feed[0]
    assert event["alert"]["gid"] == events.FLEET_GID
    assert event["alert"]["signature"] == f"YAMORI RULESET held: {V2} on pi-c1"
    assert event["sensor_id"] == "pi-c1" and event["yamori_fleet"]["version"] == V2
    assert event["yamori_fleet"]["after"]["alerts"] > 0

    # The canary goes back to the bundle it ran before; its V2 rollout says so.
    fleet.run_offer(boxes["pi-c1"], answer, 1000, 2, 0.02)
    bundle = {b["version"]: b for b in fleet.status()["bundles"]}[V2]
    assert {r["sensor_id"]: r for r in bundle["rollouts"]}["pi-c1"]["state"] == "rolled-back"
    assert len(_feed(fleet, events.RULESET_HELD.sid)) == 1  # held once


def test_a_held_bundle_needs_force_to_be_promoted_and_a_fix_moves_canaries_on(
        canary_fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet = canary_fleet
    boxes = _start(fleet, make_bundle, "pi-c1")
    fleet.publish(make_bundle(V2, rules=EVERY_PACKET))
    _swap_to(fleet, boxes["pi-c1"])
    fleet.beat(boxes["pi-c1"], 1000, 2, 0.02)  # 60 s in: not judged yet
    assert fleet.beat(boxes["pi-c1"], 1000, 900, 0.02)["ruleset"]["rollback"] is True
    refused = fleet.admin("POST", f"/api/v1/rulesets/{V2}/promote")
    assert refused.status_code == 409 and "held" in refused.json()["error"]
    assert fleet.publish(make_bundle(V3)).status_code == 201
    fixed = fleet.beat(boxes["pi-c1"], 1000, 2, 0.02)["ruleset"]
    assert (fixed["version"], fixed["rollback"]) == (V3, False)
    forced = fleet.admin("POST", f"/api/v1/rulesets/{V2}/promote", params={"force": "true"})
    assert forced.status_code == 200
    bundle = {b["version"]: b for b in fleet.status()["bundles"]}[V2]
    assert bundle["status"] == "active" and bundle["channels"] == ["stable"]


def test_engine_time_per_packet_past_its_factor_holds_the_bundle(
        canary_fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet = canary_fleet
    boxes = _start(fleet, make_bundle, "pi-c1")
    fleet.publish(make_bundle(V2))
    _swap_to(fleet, boxes["pi-c1"])
    fleet.beat(boxes["pi-c1"], 1000, 2, 0.02)
    answer = fleet.beat(boxes["pi-c1"], 1000, 2, 0.5)["ruleset"]  # 25x the detection time
    assert (answer["version"], answer["rollback"]) == (V1, True)
    bundle = {b["version"]: b for b in fleet.status()["bundles"]}[V2]
    assert "engine time per packet" in bundle["held_reason"]
    evidence = bundle["rollouts"][0]["evidence"]
    assert evidence["cost_ratio"] > 3.0 and evidence["after"]["cost_source"] == "detect.seconds"


def test_a_steady_canary_passes_only_after_min_seconds(canary_fleet: Fleet,
                                                       make_bundle: BundleMaker) -> None:
    fleet = canary_fleet
    boxes = _start(fleet, make_bundle, "pi-c1")
    fleet.publish(make_bundle(V2))
    _swap_to(fleet, boxes["pi-c1"])
    fleet.beat(boxes["pi-c1"], 1000, 2, 0.02)
    rollout = {b["version"]: b for b in fleet.status()["bundles"]}[V2]["rollouts"][0]
    assert rollout["state"] == "running" and rollout["verdict"] is None  # too early
    assert fleet.beat(boxes["pi-c1"], 1000, 3, 0.03)["ruleset"]["version"] == V2
    bundle = {b["version"]: b for b in fleet.status()["bundles"]}[V2]
    assert bundle["status"] == "active" and bundle["rollouts"][0]["verdict"] == "pass"
    assert _feed(fleet, events.RULESET_HELD.sid) == []


# -- the arithmetic, without HTTP ----------------------------------------------------------------

LIMITS = CanaryLimits(alert_factor=5.0, cost_factor=3.0, min_seconds=60.0)


def _figures(packets: int, alerts: int, engine_seconds: float | None = None) -> Figures:
    return Figures(samples=2, seconds=60.0, packets=packets, alerts=alerts,
                   engine_seconds=engine_seconds,
                   cost_source=None if engine_seconds is None else "detect.seconds")


def test_a_zero_alert_baseline_reads_as_under_one_alert_in_its_packets() -> None:
    quiet = _figures(10_000, 0)
    assert judge(quiet, _figures(10_000, 1), LIMITS).verdict == "pass"
    held = judge(quiet, _figures(10_000, 100), LIMITS)
    assert held.verdict == "held" and held.alert_ratio == pytest.approx(100.0)


def test_too_little_traffic_gives_no_verdict() -> None:
    assert judge(_figures(MIN_PACKETS - 1, 0), _figures(10_000, 9_000), LIMITS).verdict is None
    assert judge(None, _figures(10_000, 1), LIMITS).verdict is None


def test_cost_is_compared_only_on_the_same_yardstick() -> None:
    before = _figures(1000, 1, engine_seconds=0.01)
    cpu = Figures(samples=2, seconds=60.0, packets=1000, alerts=1, engine_seconds=5.0,
                  cost_source="host.cpu")
    assert judge(before, cpu, LIMITS).cost_ratio is None
    assert judge(before, _figures(1000, 1, engine_seconds=0.04), LIMITS).verdict == "held"


def test_figures_survive_a_counter_reset() -> None:
    t0 = datetime(2026, 11, 22, tzinfo=UTC)
    beats = [{"engine_health": {"decoder.pkts": p, "detect.alert": a}, "host": {}}
             for p, a in ((1000, 10), (2000, 20), (300, 3), (1300, 13))]
    samples = [sample_of(t0 + timedelta(seconds=60 * i), b) for i, b in enumerate(beats)]
    found = figures(samples)
    assert found is not None
    assert (found.packets, found.alerts, found.seconds) == (2300, 23, 180.0)
    assert found.cost_source is None and found.engine_seconds_per_packet is None


def test_suricata_cost_falls_back_to_host_cpu() -> None:
    samples = [Sample(at=0.0, packets=0, alerts=0, engine_seconds=None, cpu_percent=None),
               Sample(at=60.0, packets=6000, alerts=6, engine_seconds=None, cpu_percent=50.0)]
    found = figures(samples)
    assert found is not None and found.cost_source == "host.cpu"
    assert found.engine_seconds_per_packet == pytest.approx(30.0 / 6000)
    assert json.loads(json.dumps(found.to_dict()))["alerts_per_second"] == pytest.approx(0.1)
