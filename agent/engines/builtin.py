"""The builtin engine: yamori's own Python IDS, behind the Engine protocol.

It honours a growing subset of Suricata's rule language and skips, with a
reason, every rule it cannot honour exactly (agent/detect owns that). It is the
embedded default for the demo and for boxes without Suricata. Rules come with
their threshold.config (Suricata's `threshold-file` setting, else the one
beside the first rule file, as in a ruleset directory). Capture sources
are opened here; the packet path itself is agent/pipeline.py. Its alert
records carry the packet evidence `eve` asks for (none by default, as
Suricata's own defaults, so `yamori replay` output matches Suricata's fields).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from agent.capture.base import Source
from agent.capture.pcapfile import PcapFileSource
from agent.detect import threshold_config
from agent.detect.alert import NO_EVIDENCE, EveOptions
from agent.detect.engine import DetectEngine
from agent.detect.loader import load_rules
from agent.detect.vars import address_vars
from agent.engines.base import EngineSettings, EngineStats, EveRecord, RuleLoadReport, SourceSpec
from agent.pipeline import Pipeline
from yamori.errors import CaptureError

log = logging.getLogger(__name__)


class BuiltinEngine:
    name = "builtin"

    def __init__(self, settings: EngineSettings, eve: EveOptions = NO_EVIDENCE) -> None:
        self.settings = settings
        self.eve = eve
        self.stats = EngineStats()
        self._detect = DetectEngine([], settings)
        self._pipeline: Pipeline | None = None
        self._source: Source | None = None

    def load_rules(self, rule_files: Sequence[Path]) -> RuleLoadReport:
        rules, skipped = load_rules(rule_files, self.settings)
        rules, suppressions = self._thresholds(rule_files).apply(rules)
        # Swap only once the new set is built: a reload never leaves a gap.
        self._detect = DetectEngine(rules, self.settings, suppressions)
        if self._pipeline is not None:
            self._pipeline.detect = self._detect  # a running capture picks it up at once
        return RuleLoadReport(loaded=len(rules), skipped=list(skipped))

    def _thresholds(self, rule_files: Sequence[Path]) -> threshold_config.ThresholdConfig:
        path = threshold_config.locate(rule_files, self.settings.extra)
        if path is None:
            return threshold_config.ThresholdConfig()
        config = threshold_config.load(path, address_vars(self.settings))
        for problem in config.problems:
            log.warning("%s: %s (entry ignored)", path, problem)
        return config

    def capture_stats(self) -> dict[str, int]:
        """The live source's kernel counters (packets, drops, freezes); {} for a pcap."""
        return getattr(self._source, "stats", _no_stats)()

    def run(self, source: SourceSpec,
            should_stop: Callable[[], bool] | None = None) -> Iterator[EveRecord]:
        packets = open_source(source, should_stop)
        self._source = packets
        self._pipeline = Pipeline(self._detect, self.stats, eve=self.eve)
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
