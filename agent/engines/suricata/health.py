"""Suricata's health, read from its eve.json stats records.

Owns: turning a stats record into a flat dict of the counters yamori reports
(capture.kernel_packets, capture.kernel_drops, decoder.pkts, decoder.invalid,
decoder.events, flow.memuse, detect.alert, rules loaded/failed, last reload),
and the "degraded" verdict: Suricata is not running, its stats stopped
arriving, it stopped reading packets while the interface kept receiving, or
it dropped more than `max_drop_fraction` of the packets since the last
record. It does not read eve.json (feed.py) or export metrics (the agent's
metrics endpoint does, with `snapshot()`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.engines.base import EveRecord

# Counters copied as-is: (key in our dict, path in the stats record).
_COUNTERS = (
    ("capture.kernel_packets", ("capture", "kernel_packets")),
    ("capture.kernel_drops", ("capture", "kernel_drops")),
    ("decoder.pkts", ("decoder", "pkts")),
    ("decoder.bytes", ("decoder", "bytes")),
    ("decoder.invalid", ("decoder", "invalid")),
    ("flow.memuse", ("flow", "memuse")),
    ("flow.active", ("flow", "active")),
    ("tcp.memuse", ("tcp", "memuse")),
    ("tcp.reassembly_memuse", ("tcp", "reassembly_memuse")),
    ("detect.alert", ("detect", "alert")),
    ("uptime", ("uptime",)),
)


def _get(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = body
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node


def _sum_events(node: Any) -> int:
    """Sum of every decoder event counter (decoder.event.<proto>.<event>)."""
    if isinstance(node, dict):
        return sum(_sum_events(v) for k, v in node.items() if not str(k).endswith("_delta"))
    return node if isinstance(node, int) else 0


def parse_stats(record: EveRecord) -> dict[str, Any]:
    """The counters yamori reports from one EVE stats record."""
    body = record.get("stats") or {}
    found: dict[str, Any] = {}
    for key, path in _COUNTERS:
        value = _get(body, path)
        if isinstance(value, int):
            found[key] = value
    found["decoder.events"] = _sum_events(_get(body, ("decoder", "event")))
    engines = _get(body, ("detect", "engines"))
    if isinstance(engines, list) and engines and isinstance(engines[0], dict):
        first = engines[0]
        found["detect.rules_loaded"] = int(first.get("rules_loaded", 0))
        found["detect.rules_failed"] = int(first.get("rules_failed", 0))
        found["detect.last_reload"] = str(first.get("last_reload", ""))
    return found


def interface_rx_packets(interface: str) -> int | None:
    """The kernel's received-packet count for `interface` (None off Linux)."""
    try:
        path = Path("/sys/class/net") / interface / "statistics" / "rx_packets"
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@dataclass(slots=True)
class HealthTracker:
    """The latest counters and the degraded verdict, updated per stats record."""

    stats_interval: float
    max_drop_fraction: float = 0.05
    interface: str | None = None
    clock: Callable[[], float] = time.monotonic
    rx_packets: Callable[[str], int | None] = interface_rx_packets
    counters: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    last_record_at: float | None = None
    reload: dict[str, Any] = field(default_factory=dict)
    _previous: dict[str, Any] = field(default_factory=dict)
    _rx: int | None = None

    def update(self, record: EveRecord) -> None:
        """Take one stats record; recompute the packet-path reasons."""
        current = parse_stats(record)
        rx = self.rx_packets(self.interface) if self.interface else None
        self.reasons = self._packet_reasons(self.counters, current, self._rx, rx)
        self._previous, self.counters, self._rx = self.counters, current, rx
        self.last_record_at = self.clock()

    def _packet_reasons(self, old: dict[str, Any], new: dict[str, Any],
                        old_rx: int | None, new_rx: int | None) -> list[str]:
        if not old:
            return []
        reasons = []
        seen = new.get("capture.kernel_packets", 0) - old.get("capture.kernel_packets", 0)
        dropped = new.get("capture.kernel_drops", 0) - old.get("capture.kernel_drops", 0)
        if seen > 0 and dropped / seen > self.max_drop_fraction:
            reasons.append(f"dropped {dropped} of {seen} packets "
                           f"(> {self.max_drop_fraction:.0%})")
        arrived = (new_rx - old_rx) if new_rx is not None and old_rx is not None else 0
        if arrived > 0 and seen <= 0 and new.get("decoder.pkts", 0) <= old.get("decoder.pkts", 0):
            reasons.append(f"stopped reading packets ({arrived} arrived on the interface)")
        return reasons

    def snapshot(self, running: bool = True) -> dict[str, Any]:
        """Counters plus `degraded` and why."""
        reasons = list(self.reasons)
        if not running:
            reasons.insert(0, "suricata is not running")
        elif self.last_record_at is not None and \
                self.clock() - self.last_record_at > 3 * self.stats_interval + 5:
            reasons.insert(0, "no stats from suricata for "
                              f"{self.clock() - self.last_record_at:.0f} s")
        return {**self.counters, **self.reload, "degraded": bool(reasons), "reasons": reasons}
