"""Engine health as Prometheus metrics, read from the agent at scrape time.

The engines report their counters as a flat dict (Agent.engine_health():
`capture.kernel_drops`, `decoder.pkts`, `detect.alert` …) and which engine
runs (Agent.engine_info()). This module turns those into gauges named
`yamori_agent_engine_<key>` plus an info-style series; it does not compute
anything itself, so the numbers cannot disagree with what goes upstream.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PREFIX = "yamori_agent_engine_"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(key: str) -> str:
    """`capture.kernel_drops` -> `yamori_agent_engine_capture_kernel_drops`."""
    return PREFIX + _UNSAFE.sub("_", key)


class EngineCollector(Collector):
    def __init__(self, health: Callable[[], dict[str, Any]],
                 info: Callable[[], dict[str, Any]],
                 severities: Callable[[], dict[int, int]] | None = None,
                 rules: Callable[[], tuple[int, str | None]] | None = None) -> None:
        self.health = health
        self.info = info
        self.severities = severities
        self.rules = rules

    def collect(self) -> Iterator[Metric]:
        try:
            health, info = self.health(), self.info()
        except Exception:  # a scrape must never take the agent down
            log.warning("metrics: engine health unavailable", exc_info=True)
            return
        for key, value in sorted(health.items()):
            if isinstance(value, bool):
                value = int(value)
            if isinstance(value, int | float):
                yield GaugeMetricFamily(metric_name(key), f"Engine counter {key}.", value=value)
        labels = {k: str(v) for k, v in info.items() if isinstance(v, str | int | float)}
        family = GaugeMetricFamily(PREFIX + "info", "Which engine runs, and why (value 1).",
                                   labels=sorted(labels))
        family.add_metric([labels[k] for k in sorted(labels)], 1)
        yield family
        yield from self._alerts_and_rules()

    def _alerts_and_rules(self) -> Iterator[Metric]:
        if self.severities is not None:
            alerts = CounterMetricFamily("yamori_agent_alerts", "Alerts raised, by severity.",
                                         labels=["severity"])
            for severity, count in sorted(self.severities().items()):
                alerts.add_metric([str(severity)], count)
            yield alerts
        if self.rules is not None:
            loaded, version = self.rules()
            yield GaugeMetricFamily("yamori_agent_rules_loaded", "Rules the engine loaded.",
                                    value=loaded)
            info = GaugeMetricFamily("yamori_agent_rules_info",
                                     "The ruleset the engine runs (value 1).", labels=["version"])
            info.add_metric([version or ""], 1)
            yield info


def register_engine_metrics(registry: CollectorRegistry, health: Callable[[], dict[str, Any]],
                            info: Callable[[], dict[str, Any]],
                            severities: Callable[[], dict[int, int]] | None = None,
                            rules: Callable[[], tuple[int, str | None]] | None = None,
                            ) -> EngineCollector:
    collector = EngineCollector(health, info, severities, rules)
    registry.register(collector)
    return collector
