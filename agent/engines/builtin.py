"""The builtin engine: yamori's own Python IDS, behind the Engine protocol.

It honours a growing subset of Suricata's rule language and skips, with a
reason, every rule it cannot honour exactly (agent/detect owns that). It is the
embedded default for the demo and for boxes without Suricata. Capture sources
are opened here; the packet path itself is agent/pipeline.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from agent.capture.base import Source
from agent.capture.pcapfile import PcapFileSource
from agent.detect.engine import DetectEngine
from agent.detect.loader import load_rules
from agent.engines.base import EngineSettings, EngineStats, EveRecord, RuleLoadReport, SourceSpec
from agent.pipeline import Pipeline
from yamori.errors import CaptureError


class BuiltinEngine:
    name = "builtin"

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.stats = EngineStats()
        self._detect = DetectEngine([], settings)
        self._pipeline: Pipeline | None = None
        self._source: Source | None = None

    def load_rules(self, rule_files: Sequence[Path]) -> RuleLoadReport:
        rules, skipped = load_rules(rule_files, self.settings)
        # Swap only once the new set is built: a reload never leaves a gap.
        self._detect = DetectEngine(rules, self.settings)
        if self._pipeline is not None:
            self._pipeline.detect = self._detect  # a running capture picks it up at once
        return RuleLoadReport(loaded=len(rules), skipped=list(skipped))

    def capture_stats(self) -> dict[str, int]:
        """The live source's kernel counters (packets, drops, freezes); {} for a pcap."""
        return getattr(self._source, "stats", _no_stats)()

    def run(self, source: SourceSpec,
            should_stop: Callable[[], bool] | None = None) -> Iterator[EveRecord]:
        packets = open_source(source, should_stop)
        self._source = packets
        self._pipeline = Pipeline(self._detect, self.stats)
        try:
            yield from self._pipeline.run(packets, should_stop)
        finally:
            self._pipeline = None
            packets.close()


def _no_stats() -> dict[str, int]:
    return {}


def open_source(spec: SourceSpec, should_stop: Callable[[], bool] | None = None) -> Source:
    """Open the capture source a SourceSpec names."""
    if spec.pcap is not None:
        return PcapFileSource(spec.pcap, realtime=spec.realtime)
    if spec.interface is not None:
        from agent.capture.live import LiveSource  # Linux-only; import on demand

        return LiveSource(spec.interface, bpf=spec.bpf, should_stop=should_stop)
    raise CaptureError("no capture source: set a pcap file or an interface")
