"""Suricata stats records -> counters and the degraded verdict."""

from __future__ import annotations

from typing import Any

from agent.engines.suricata.health import HealthTracker, parse_stats


def _stats(packets: int, drops: int, pkts: int | None = None) -> dict[str, Any]:
    return {"event_type": "stats", "stats": {
        "capture": {"kernel_packets": packets, "kernel_drops": drops},
        "decoder": {"pkts": packets if pkts is None else pkts, "invalid": 1,
                    "event": {"ipv4": {"trunc_pkt": 2, "trunc_pkt_delta": 9},
                              "tcp": {"hlen_too_small": 3}}},
        "flow": {"memuse": 1000}, "detect": {"alert": 7, "engines": [
            {"id": 0, "last_reload": "2026-01-01T00:00:00", "rules_loaded": 40,
             "rules_failed": 2}]}}}


def test_parse_stats_reads_the_reported_counters() -> None:
    found = parse_stats(_stats(100, 5))
    assert found["capture.kernel_packets"] == 100 and found["capture.kernel_drops"] == 5
    assert found["decoder.events"] == 5 and found["flow.memuse"] == 1000
    assert found["detect.alert"] == 7
    assert (found["detect.rules_loaded"], found["detect.rules_failed"]) == (40, 2)


def test_drops_above_the_fraction_are_degraded() -> None:
    tracker = HealthTracker(8.0, max_drop_fraction=0.05, clock=lambda: 0.0)
    tracker.update(_stats(1000, 0))
    tracker.update(_stats(2000, 100))
    snap = tracker.snapshot()
    assert snap["degraded"] and "dropped 100 of 1000" in snap["reasons"][0]


def test_drops_below_the_fraction_are_healthy() -> None:
    tracker = HealthTracker(8.0, max_drop_fraction=0.05, clock=lambda: 0.0)
    tracker.update(_stats(1000, 0))
    tracker.update(_stats(2000, 10))
    assert not tracker.snapshot()["degraded"]


def test_no_packets_read_while_the_interface_receives_is_degraded() -> None:
    rx = iter([100, 5000])
    tracker = HealthTracker(8.0, interface="eth0", clock=lambda: 0.0,
                            rx_packets=lambda _iface: next(rx))
    tracker.update(_stats(1000, 0))
    tracker.update(_stats(1000, 0))
    assert "stopped reading packets" in tracker.snapshot()["reasons"][0]


def test_silent_stats_or_a_stopped_suricata_are_degraded() -> None:
    now = [0.0]
    tracker = HealthTracker(8.0, clock=lambda: now[0])
    tracker.update(_stats(1, 0))
    assert tracker.snapshot(running=False)["reasons"] == ["suricata is not running"]
    now[0] = 100.0
    assert tracker.snapshot()["degraded"]
