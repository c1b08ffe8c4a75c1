"""`yamori agent run`: engine -> local queue -> uplink, as one long-running process.

Every alert the engine raises gets its alert id and sensor fields here and is
committed to the SQLite queue before anything else happens to it; the shipper
thread then moves committed alerts to the collector and deletes only what the
collector acknowledged. With Suricata on a live interface the agent runs
Suricata itself (agent/engines/suricata/live.py) and moves its eve.json into
the queue with a committed bookmark (feed.py); otherwise the engine yields
alerts in process. This module wires those parts and handles stop and drain;
it does not decode, detect, store or speak HTTP itself.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rules
from agent.buffer.group import GroupCommitter
from agent.buffer.store import AlertQueue
from agent.config import AgentConfig
from agent.detect.alert import EveOptions, cap_evidence
from agent.engines.base import Engine, EngineSettings, SourceSpec
from agent.engines.builtin import BuiltinEngine
from agent.engines.select import EngineChoice, build_engine, choose_engine
from agent.engines.settings import build_settings
from agent.engines.suricata import ruleset as rs
from agent.engines.suricata.config import Memcaps
from agent.engines.suricata.feed import Enricher, EveFeed
from agent.engines.suricata.health import HealthTracker
from agent.engines.suricata.live import LiveOptions, LiveSuricata, ReloadResult
from agent.engines.suricata.process import Backoff, State
from agent.rulesync.layout import BundleMeta, current_bundle_dir
from uplink.client import UplinkClient
from uplink.shipper import Shipper

log = logging.getLogger(__name__)

QUEUE_FILE = "queue.sqlite"
_EVE_POLL = 0.2


@dataclass(slots=True)
class RunSummary:
    packets: int = 0
    rules_loaded: int = 0
    rules_skipped: int = 0
    alert_ids: list[str] = field(default_factory=list)
    drained: bool = False


def installed_bundle(config: AgentConfig) -> Path | None:
    """The rule bundle an update installed (<data_dir>/rules/current), resolved.

    None when there is none, or when the config names the rules itself
    (engine.ruleset_dir or engine.rules): an explicit choice wins.
    """
    if config.engine.ruleset_dir is not None or config.engine.rules:
        return None
    return current_bundle_dir(config.sensor.data_dir)


def rule_files(config: AgentConfig) -> list[Path]:
    """The configured rule files, the installed bundle's, or the rules shipped in rules/local/."""
    if config.engine.ruleset_dir is not None:
        return list(rs.from_dir(config.engine.ruleset_dir).rule_files)
    bundle = installed_bundle(config)
    if bundle is not None:
        return list(rs.from_dir(bundle).rule_files)
    return config.engine.rules or rules.shipped_rule_files()


def rules_version(files: list[Path]) -> str:
    """A short content hash of the rule files, in order: what the box runs, reported upstream."""
    digest = hashlib.sha256()
    for path in files:
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"<unreadable>")
    return "sha256:" + digest.hexdigest()[:16]


def running_version(config: AgentConfig) -> str:
    """The installed bundle's effective version, else the rule files' content hash."""
    bundle = installed_bundle(config)
    meta = BundleMeta.read(bundle) if bundle is not None else None
    return meta.effective_version if meta is not None else rules_version(rule_files(config))


def current_ruleset(config: AgentConfig) -> rs.Ruleset:
    """The ruleset directory (configured, or the installed bundle), else the rule files."""
    if config.engine.ruleset_dir is not None:
        return rs.from_dir(config.engine.ruleset_dir)
    bundle = installed_bundle(config)
    if bundle is not None:
        return rs.from_dir(bundle)
    return rs.from_files(rule_files(config), config.engine.classification)


def engine_settings(config: AgentConfig) -> EngineSettings:
    sets = [f"vars.address-groups.{k}={v}" for k, v in config.engine.vars.items()]
    return build_settings(config.engine.suricata_yaml, sets,
                          classification=config.engine.classification)


def _memory_mb() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            return int(fh.readline().split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        return 2048


def eve_options(config: AgentConfig) -> EveOptions:
    """The evidence (payload, packet) the agent's alerts carry, from [engine]."""
    engine = config.engine
    return EveOptions(payload=engine.eve_payload, packet=engine.eve_packet,
                      max_bytes=engine.eve_packet_max_bytes)


def live_options(config: AgentConfig, choice: EngineChoice) -> LiveOptions:
    """How to run Suricata on the configured interface."""
    sc, cap = config.suricata, config.capture
    assert cap.interface is not None and choice.suricata is not None
    return LiveOptions(
        workdir=sc.workdir or config.sensor.data_dir / "suricata", interface=cap.interface,
        binary=choice.suricata.path, base_config=sc.base_config, threads=sc.threads,
        bpf=cap.bpf, stats_interval=sc.stats_interval,
        memcaps=Memcaps.for_memory(sc.memory_mb or _memory_mb()),
        eve_max_bytes=sc.eve_max_bytes, backoff=Backoff(cap=sc.restart_max_delay),
        eve_payload=config.engine.eve_payload, eve_packet=config.engine.eve_packet)


class Agent:
    """One agent process: owns the engine, the queue and the shipper thread."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        config.sensor.data_dir.mkdir(parents=True, exist_ok=True)
        self.queue = AlertQueue(config.sensor.data_dir / QUEUE_FILE,
                                max_bytes=config.queue.max_bytes)
        self.choice = choose_engine(config.engine.engine, config.suricata.binary)
        settings = engine_settings(config)
        self.live: LiveSuricata | None = None
        self.engine: Engine | None = None
        if self.choice.engine == "suricata" and config.capture.interface is not None:
            self.live = LiveSuricata(settings, live_options(config, self.choice))
        else:
            self.engine = build_engine(self.choice, settings)
            if isinstance(self.engine, BuiltinEngine):
                self.engine.eve = eve_options(config)
        self.health = HealthTracker(float(config.suricata.stats_interval),
                                    config.suricata.max_drop_fraction, config.capture.interface)
        self.feed: EveFeed | None = None
        up = config.uplink
        self.client = UplinkClient(up.url, up.read_token(),
                                   ca_bundle=str(up.ca_bundle) if up.ca_bundle else None,
                                   timeout=up.timeout)
        self.shipper = Shipper(self.queue, self.client, config.sensor.sensor_id,
                               max_batch=up.batch_max, max_batch_bytes=up.batch_max_bytes)
        self.group = GroupCommitter(self.queue, max_records=config.queue.commit_max_records,
                                    max_delay=config.queue.commit_max_delay,
                                    on_commit=lambda _n: self.shipper.notify())
        self._enricher = Enricher(config.sensor.sensor_id, config.sensor.tenant)
        self.alerts_by_severity: collections.Counter[int] = collections.Counter()
        self.rules_loaded = 0
        self.rules_skipped = 0
        # SIGHUP (housekeeper) and rule updates (agent/rulesync) may both reload.
        self._reload_lock = threading.Lock()
        # Called once capture runs (systemd READY=1); the capture loop stamps
        # loop_beat so a watchdog can tell a stuck loop from an idle link.
        self.on_ready: Callable[[str], None] | None = None
        self.loop_beat = time.monotonic()
        self.rules_version: str | None = running_version(config)

    def enrich(self, record: dict[str, Any]) -> dict[str, Any]:
        """yamori's fields on an alert, and the per-severity count of what was raised."""
        self.alerts_by_severity[int(record.get("alert", {}).get("severity", 0))] += 1
        # Suricata copies whole frames; the cap bounds what one alert costs the queue.
        cap_evidence(record, self.config.engine.eve_packet_max_bytes)
        return self._enricher(record)

    def loop_age(self) -> float:
        """Seconds since the capture loop last ran."""
        return time.monotonic() - self.loop_beat

    def _ready(self, status: str) -> None:
        self.loop_beat = time.monotonic()
        if self.on_ready is not None:
            self.on_ready(status)

    # -- what the lead sends upstream / exports ------------------------------------

    def engine_info(self) -> dict[str, Any]:
        """Which engine runs, what was asked for and why (for the heartbeat)."""
        info = self.choice.as_dict()
        info["mode"] = "suricata-live" if self.live is not None else "in-process"
        if self.live is not None:
            sup = self.live.supervisor
            info["state"] = self.live.state.value
            info["restarts"] = sup.restarts if sup is not None else 0
        return info

    def engine_health(self) -> dict[str, Any]:
        """Suricata's counters, the feed's counters and the degraded verdict."""
        if self.live is None:
            assert self.engine is not None
            s = self.engine.stats
            health: dict[str, Any] = {
                "decoder.pkts": s.packets, "decoder.bytes": s.bytes,
                "decoder.invalid": s.decode_errors, "detect.alert": s.alerts,
                "flow.active": s.flows, "detect.seconds": s.detect_seconds,
                "detect.seconds_per_packet": s.detect_seconds / s.packets if s.packets else 0.0,
                "degraded": False, "reasons": []}
            capture_stats = getattr(self.engine, "capture_stats", None)
            if capture_stats is not None:
                health.update({f"capture.{k}": v for k, v in capture_stats().items()})
            return health
        snap = self.health.snapshot(running=self.live.state is State.RUNNING)
        snap["state"] = self.live.state.value
        if self.feed is not None:
            snap["eve.malformed"] = self.feed.malformed
            snap["eve.alerts_queued"] = self.feed.counters.alerts
            snap["eve.rotations"] = self.feed.follower.rotations
        return snap

    def reload_rules(self) -> dict[str, Any]:
        """Reload the configured ruleset without a restart; the outcome."""
        with self._reload_lock:
            outcome = self._reload_rules()
            if outcome.get("ok"):
                self.rules_version = running_version(self.config)
                if isinstance(outcome.get("rules_loaded"), int):
                    self.rules_loaded = outcome["rules_loaded"]
                if isinstance(outcome.get("rules_failed"), int):
                    self.rules_skipped = outcome["rules_failed"]
        return outcome

    def _reload_rules(self) -> dict[str, Any]:
        if self.live is not None:
            result = self.live.reload(current_ruleset(self.config))
            self.health.reload = {"reload.ok": result.ok, "reload.duration": result.duration,
                                  "reload.message": result.message}
            return result.as_dict()
        assert self.engine is not None
        began = time.monotonic()
        report = self.engine.load_rules(rule_files(self.config))
        return ReloadResult(True, "reloaded", time.monotonic() - began, report.loaded,
                            len(report.skipped)).as_dict()

    # -- running ---------------------------------------------------------------------

    def run(self, stop: threading.Event, drain_timeout: float | None = None) -> RunSummary:
        """Capture until the source ends or `stop` is set; then drain if asked."""
        summary = RunSummary()
        self._load_rules(summary)
        ship_stop = threading.Event()
        shipper = threading.Thread(target=self.shipper.run, args=(ship_stop,),
                                   name="shipper", daemon=True)
        shipper.start()
        try:
            if self.live is not None:
                self._capture_live(stop, summary)
            else:
                self._capture(stop, summary)
        finally:
            # Everything the engine raised is committed before the shipper's
            # last round and before exit (SIGTERM drains, it never drops).
            self.group.flush()
            ship_stop.set()
            shipper.join()
            if self.engine is not None:
                summary.packets = self.engine.stats.packets
            else:
                summary.packets = int(self.health.counters.get("decoder.pkts", 0))
        if drain_timeout is not None:
            summary.drained = self.shipper.drain(drain_timeout)
        return summary

    def _load_rules(self, summary: RunSummary) -> None:
        with self._reload_lock:
            if self.live is not None:
                result = self.live.prepare(current_ruleset(self.config))
                skipped = result.failed
                loaded = result.loaded if result.loaded is not None else -1
            else:
                assert self.engine is not None
                report = self.engine.load_rules(rule_files(self.config))
                skipped, loaded = report.skipped, report.loaded
            summary.rules_loaded, summary.rules_skipped = loaded, len(skipped)
            self.rules_loaded, self.rules_skipped = loaded, len(skipped)
            self.rules_version = running_version(self.config)
        for error in skipped:
            log.debug("%s", error.skip_line())
        log.info("engine %s loaded %d rules, skipped %d",
                 self.choice.engine, loaded, len(skipped))

    def _capture(self, stop: threading.Event, summary: RunSummary) -> None:
        assert self.engine is not None
        cap = self.config.capture
        source = SourceSpec(pcap=cap.pcap, interface=cap.interface,
                            realtime=cap.realtime, bpf=cap.bpf)

        def should_stop() -> bool:
            # Called per packet and at every idle poll of a live source.
            self.loop_beat = time.monotonic()
            return stop.is_set()

        self._ready(f"engine {self.choice.engine} capturing from {cap.interface or cap.pcap}")
        # A pcap run remembers its alert ids (the demo checks them); a live
        # capture must not: that list would grow for as long as the box runs.
        keep_ids = cap.pcap is not None
        for record in self.engine.run(source, should_stop=should_stop):
            self.enrich(record)
            self.group.add(record)
            if keep_ids:
                summary.alert_ids.append(record["alert_id"])

    def _capture_live(self, stop: threading.Event, summary: RunSummary) -> None:
        assert self.live is not None
        live = self.live
        self.feed = EveFeed(live.eve, self.queue, self.enrich, rotated=[live.eve_rotated],
                            on_stats=self.health.update,
                            on_commit=lambda _n: self.shipper.notify())
        live.start()
        try:
            # READY=1 only once Suricata answers on its command socket (rules
            # loaded, capture threads running): a `systemctl start` that has
            # returned must not leave the first seconds of traffic unseen.
            while not stop.is_set() and not live.wait_ready(timeout=1.0):
                pass
            if not stop.is_set():
                self._ready(f"suricata capturing on {self.config.capture.interface}")
            while not stop.wait(_EVE_POLL):
                self.loop_beat = time.monotonic()
                self.feed.poll()
                live.maybe_rotate(self.feed.committed)
        finally:
            live.stop()
            self.feed.poll()  # what Suricata wrote while shutting down
            self.feed.close()
            summary.alert_ids = list(self.feed.counters.alert_ids)

    def close(self) -> None:
        self.group.close()
        self.queue.close()
        close_engine = getattr(self.engine, "close", None)
        if close_engine is not None:
            close_engine()  # e.g. a Suricata still waiting for its input
