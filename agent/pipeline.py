"""The builtin engine's packet path, and the only place that wires its stages.

    Source.packets() -> decode_packet -> FlowTable.update -> DetectEngine.inspect
    -> alert_to_eve

It yields EVE alert records and stops there: queueing and uplink are the
agent's business (daemon.py), not the pipeline's. Flows are expired on packet
time, so a replayed capture behaves as it did live.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from agent.capture.base import Source
from agent.decode import decode_packet
from agent.detect.alert import NO_EVIDENCE, EveOptions, alert_to_eve
from agent.detect.engine import DetectEngine
from agent.engines.base import EngineStats, EveRecord
from agent.flow.table import FlowTable
from agent.stage import StageCounters

# Expire idle flows at most once per this many seconds of packet time.
EXPIRE_INTERVAL = 1.0


@dataclass(slots=True)
class PipelineCounters:
    capture: StageCounters = field(default_factory=StageCounters)
    decode: StageCounters = field(default_factory=StageCounters)
    flow: StageCounters = field(default_factory=StageCounters)
    detect: StageCounters = field(default_factory=StageCounters)

    def by_stage(self) -> dict[str, StageCounters]:
        return {"capture": self.capture, "decode": self.decode,
                "flow": self.flow, "detect": self.detect}


class Pipeline:
    """One run of the builtin engine over a source."""

    def __init__(self, detect: DetectEngine, stats: EngineStats,
                 flows: FlowTable | None = None, eve: EveOptions = NO_EVIDENCE) -> None:
        self.detect = detect
        self.eve = eve  # evidence (payload, packet) each alert record carries
        self.flows = flows if flows is not None else FlowTable()
        self.stats = stats
        self.counters = PipelineCounters()
        self._next_expire = 0.0

    def run(self, source: Source,
            should_stop: Callable[[], bool] | None = None) -> Iterator[EveRecord]:
        """Process every packet of `source`; yield one EVE record per alert."""
        if getattr(source, "drains_on_stop", False):
            # A live capture ends by itself once stopped, after the frames the
            # kernel already holds (SIGTERM drains); a pcap stops at once.
            should_stop = None
        for pkt in source.packets():
            if should_stop is not None and should_stop():
                break
            self._count_packet(len(pkt.raw))
            decode_packet(pkt)
            if pkt.events:
                self.stats.decode_errors += 1
                self.counters.decode.errors += 1
            self.counters.decode.sent += 1
            if self.flows.update(pkt) is not None:
                self.counters.flow.sent += 1
            self._expire(pkt.ts)
            began = time.perf_counter()
            alerts = self.detect.inspect(pkt)
            self.stats.detect_seconds += time.perf_counter() - began
            for alert in alerts:
                self.stats.alerts += 1
                self.counters.detect.sent += 1
                yield alert_to_eve(alert, self.eve)

    def _count_packet(self, size: int) -> None:
        self.stats.packets += 1
        self.stats.bytes += size
        self.counters.capture.sent += 1
        self.counters.decode.received += 1

    def _expire(self, now: float) -> None:
        if now < self._next_expire:
            return
        self._next_expire = now + EXPIRE_INTERVAL
        self.flows.expire(now)
        self.stats.flows = len(self.flows)
