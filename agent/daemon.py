"""`yamori agent run`: engine -> local queue -> uplink, as one long-running process.

Every alert the engine raises gets its alert id and sensor fields here and is
committed to the SQLite queue before anything else happens to it; the shipper
thread then moves committed alerts to the collector and deletes only what the
collector acknowledged. This module wires those parts and handles stop and
drain; it does not decode, detect, store or speak HTTP itself.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import rules
from agent.buffer.store import AlertQueue
from agent.config import AgentConfig
from agent.engines.base import Engine, SourceSpec
from agent.engines.select import make_engine
from agent.engines.settings import build_settings
from uplink.client import UplinkClient
from uplink.ids import new_alert_id
from uplink.shipper import Shipper

log = logging.getLogger(__name__)

QUEUE_FILE = "queue.sqlite"


@dataclass(slots=True)
class RunSummary:
    packets: int = 0
    rules_loaded: int = 0
    rules_skipped: int = 0
    alert_ids: list[str] = field(default_factory=list)
    drained: bool = False


def rule_files(config: AgentConfig) -> list[Path]:
    """The configured rule files, or the rules shipped in rules/local/."""
    return config.engine.rules or rules.shipped_rule_files()


def build_engine(config: AgentConfig) -> Engine:
    sets = [f"vars.address-groups.{k}={v}" for k, v in config.engine.vars.items()]
    settings = build_settings(config.engine.suricata_yaml, sets,
                              classification=config.engine.classification)
    return make_engine(config.engine.engine, settings)


class Agent:
    """One agent process: owns the engine, the queue and the shipper thread."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        config.sensor.data_dir.mkdir(parents=True, exist_ok=True)
        self.queue = AlertQueue(config.sensor.data_dir / QUEUE_FILE)
        self.engine = build_engine(config)
        up = config.uplink
        self.client = UplinkClient(up.url, up.read_token(),
                                   ca_bundle=str(up.ca_bundle) if up.ca_bundle else None,
                                   timeout=up.timeout)
        self.shipper = Shipper(self.queue, self.client, config.sensor.sensor_id,
                               max_batch=up.batch_max, max_batch_bytes=up.batch_max_bytes)

    def run(self, stop: threading.Event, drain_timeout: float | None = None) -> RunSummary:
        """Capture until the source ends or `stop` is set; then drain if asked."""
        summary = RunSummary()
        report = self.engine.load_rules(rule_files(self.config))
        summary.rules_loaded, summary.rules_skipped = report.loaded, len(report.skipped)
        for error in report.skipped:
            log.debug("%s", error.skip_line())
        log.info("engine %s loaded %d rules, skipped %d",
                 self.engine.name, report.loaded, len(report.skipped))
        ship_stop = threading.Event()
        shipper = threading.Thread(target=self.shipper.run, args=(ship_stop,),
                                   name="shipper", daemon=True)
        shipper.start()
        try:
            self._capture(stop, summary)
        finally:
            ship_stop.set()
            shipper.join()
            summary.packets = self.engine.stats.packets
        if drain_timeout is not None:
            summary.drained = self.shipper.drain(drain_timeout)
        return summary

    def _capture(self, stop: threading.Event, summary: RunSummary) -> None:
        cap = self.config.capture
        source = SourceSpec(pcap=cap.pcap, interface=cap.interface,
                            realtime=cap.realtime, bpf=cap.bpf)
        sensor_id = self.config.sensor.sensor_id
        for record in self.engine.run(source, should_stop=stop.is_set):
            record["alert_id"] = new_alert_id()
            record["sensor_id"] = sensor_id
            self.queue.append([record])
            self.shipper.notify()
            summary.alert_ids.append(record["alert_id"])

    def close(self) -> None:
        self.queue.close()
