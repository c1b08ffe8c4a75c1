"""Rule thresholds at alert time (Suricata's detect-engine-threshold.c).

Owns the ThresholdSpec record (what `threshold:` / `detection_filter:` parse
into) and ThresholdTable, the per-engine state that decides, for a rule that
matched a packet, whether it alerts. Verdicts follow PacketAlertThreshold:
ALERT (alert and apply the action), SILENT (no alert, the action still
applies) or SUPPRESS (neither). Windows are keyed on packet time, in
microseconds, inclusive at the end (SCTIME_CMP_LTE(ts, first + seconds)).
Entries are per (sid, gid) and tracked source, destination, address pair
(either direction), rule (per signature side) or flow. Expired entries are
pruned; Suricata's host timeouts and its thread cache do not change verdicts.
It does not parse rule text and does not read threshold.config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.decode.packet import Packet

SUPPRESS, ALERT, SILENT = 0, 1, 2
TYPE_LIMIT, TYPE_THRESHOLD, TYPE_BOTH, TYPE_DETECTION = "limit", "threshold", "both", "detection"
TRACK_SRC, TRACK_DST, TRACK_BOTH, TRACK_RULE, TRACK_FLOW = (
    "by_src", "by_dst", "by_both", "by_rule", "by_flow")
FLOW_STORAGE_KEY = "threshold"
_USEC = 1_000_000
_PRUNE_EVERY_USEC = 60 * _USEC


@dataclass(slots=True, frozen=True)
class ThresholdSpec:
    type: str
    track: str
    count: int
    seconds: int


@dataclass(slots=True)
class _Entry:
    first_us: int  # Suricata's tv1: start of the current window
    count: int
    window_us: int


def _ts_us(pkt: Packet) -> int:
    return round(pkt.ts * _USEC)


def _handle(spec: ThresholdSpec, entry: _Entry | None, now: int) -> tuple[int, bool]:
    """ThresholdHandlePacket: (verdict, create a new entry)."""
    if entry is None:
        if spec.type == TYPE_LIMIT:
            return ALERT, True
        if spec.type == TYPE_THRESHOLD:
            return (ALERT, False) if spec.count == 1 else (SUPPRESS, True)
        if spec.type == TYPE_BOTH:
            return (ALERT if spec.count == 1 else SUPPRESS), True
        return SUPPRESS, True
    if now > entry.first_us + entry.window_us:
        entry.first_us, entry.count = now, 1
        if spec.type == TYPE_LIMIT or (spec.type == TYPE_BOTH and spec.count == 1):
            return ALERT, False
        return SUPPRESS, False
    entry.count += 1
    return _in_window(spec, entry), False


def _in_window(spec: ThresholdSpec, entry: _Entry) -> int:
    if spec.type == TYPE_LIMIT:
        return ALERT if entry.count <= spec.count else SILENT
    if spec.type == TYPE_THRESHOLD:
        if entry.count >= spec.count:
            entry.count = 0  # the window start stays; counting restarts
            return ALERT
        return SUPPRESS
    if spec.type == TYPE_BOTH:
        if entry.count == spec.count:
            return ALERT
        return SILENT if entry.count > spec.count else SUPPRESS
    return ALERT if entry.count > spec.count else SUPPRESS


class ThresholdTable:
    """Threshold state for one DetectEngine (Suricata keeps it in hosts, ip pairs, flows)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self._last_prune = 0

    def verdict(self, spec: ThresholdSpec, sid: int, gid: int, side: int, pkt: Packet) -> int:
        """ALERT, SILENT or SUPPRESS for a match of rule (sid, gid) on `pkt`."""
        now = _ts_us(pkt)
        store = self._store(spec, pkt)
        if store is None:
            return SUPPRESS
        key = (sid, gid, *self._track_key(spec, pkt, side))
        verdict, create = _handle(spec, store.get(key), now)
        if create:
            store[key] = _Entry(now, 1, spec.seconds * _USEC)
        self._maybe_prune(now)
        return verdict

    def _store(self, spec: ThresholdSpec, pkt: Packet) -> dict[tuple[Any, ...], _Entry] | None:
        if spec.track != TRACK_FLOW:
            return self._entries
        if pkt.flow is None:
            return None
        store: dict[tuple[Any, ...], _Entry] = pkt.flow.storage.setdefault(FLOW_STORAGE_KEY, {})
        return store

    @staticmethod
    def _track_key(spec: ThresholdSpec, pkt: Packet, side: int) -> tuple[Any, ...]:
        src, dst = (pkt.ip_version, pkt.src_addr), (pkt.ip_version, pkt.dst_addr)
        if spec.track == TRACK_SRC:
            return (TRACK_SRC, src)
        if spec.track == TRACK_DST:
            return (TRACK_DST, dst)
        if spec.track == TRACK_BOTH:
            return (TRACK_BOTH, min(src, dst), max(src, dst))
        if spec.track == TRACK_RULE:
            # a `<>` rule is two signatures in Suricata, each with its own by_rule entry
            return (TRACK_RULE, side)
        return (TRACK_FLOW,)

    def _maybe_prune(self, now: int) -> None:
        if now - self._last_prune < _PRUNE_EVERY_USEC:
            return
        self._last_prune = now
        # An expired entry behaves exactly like a missing one (see _handle).
        self._entries = {k: e for k, e in self._entries.items()
                         if now <= e.first_us + e.window_us}
