"""The agent as a systemd service: readiness, watchdog, status, reload, metrics.

A housekeeping thread beside the capture loop: it pets the systemd watchdog
only while the capture loop is alive (a stuck loop gets the process
restarted; an idle link does not), publishes a STATUS= line, performs the
rule reloads SIGHUP asked for (outside the signal handler, so capture never
pauses for it) and serves the Prometheus endpoint. Beside the heartbeat it
runs the rule updater (agent/rulesync), which acts on the ruleset each
heartbeat answer offers and reports back in the next heartbeat. It does not
capture, queue or ship anything itself: agent/daemon.py does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from agent.config import AgentConfig
from agent.daemon import Agent
from agent.engine_metrics import register_engine_metrics
from agent.metrics import MetricsServer, register_queue_metrics, start_metrics_server
from agent.rulesync.updater import RuleUpdater
from agent.sdnotify import Notifier, watchdog_interval
from agent.system_metrics import register_system_metrics
from uplink.heartbeat import HeartbeatSender, HostSampler, engine_fields
from uplink.shipper import counters_snapshot
from yamori.errors import YamoriError

log = logging.getLogger(__name__)

TICK = 1.0  # seconds between housekeeping rounds
STATUS_EVERY = 10  # rounds between STATUS= updates
STUCK_AFTER = 30.0  # seconds without a capture-loop beat before we stop petting


def heartbeat_collect(agent: Agent, updater: RuleUpdater | None = None
                      ) -> Callable[[], dict[str, Any]]:
    """What each heartbeat reports: engine, queue counters, host resources, ruleset."""
    host = HostSampler(agent.config.sensor.data_dir)

    def collect() -> dict[str, Any]:
        fields = engine_fields(agent.engine_info(), agent.engine_health())
        fields["counters"] = counters_snapshot(agent.queue).model_dump(exclude_none=True)
        fields["host"] = host.sample()
        if agent.rules_version is not None:
            fields["rules_version"] = agent.rules_version
        if updater is not None:
            fields["ruleset"] = updater.status().model_dump(exclude_none=True)
        return fields

    return collect


# What a SIGHUP applies without a restart: which rules the engine loads.
LIVE_ENGINE_KEYS = ("rules", "ruleset_dir", "classification")


def apply_live_config(running: AgentConfig, new: AgentConfig) -> list[str]:
    """Copy the live-reloadable keys of `new` into `running`; name the other changed keys."""
    for key in LIVE_ENGINE_KEYS:
        setattr(running.engine, key, getattr(new.engine, key))
    old_dump, new_dump = running.model_dump(), new.model_dump()
    changed = []
    for section, values in new_dump.items():
        for key, value in values.items():
            if old_dump[section].get(key) != value:
                changed.append(f"{section}.{key}")
    return changed


class Housekeeper:
    def __init__(self, agent: Agent, notifier: Notifier | None = None,
                 reload_config: Callable[[], AgentConfig] | None = None) -> None:
        self.agent = agent
        self.notifier = notifier or Notifier()
        self.reload_requested = threading.Event()
        self.reload_config = reload_config
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeper", daemon=True)
        self.metrics: MetricsServer | None = None
        self.heartbeat: HeartbeatSender | None = None
        self.updater: RuleUpdater | None = None
        self._hb_stop = threading.Event()
        self._hb_thread: threading.Thread | None = None
        interval = watchdog_interval()
        self.stuck_after = max(STUCK_AFTER, 2 * interval) if interval else STUCK_AFTER
        agent.on_ready = self._on_ready

    def start(self) -> None:
        cfg = self.agent.config.metrics
        if cfg.enabled:
            registry = CollectorRegistry()
            register_queue_metrics(registry, self.agent.queue, self.agent.shipper)
            agent = self.agent
            register_engine_metrics(registry, agent.engine_health, agent.engine_info,
                                    severities=lambda: dict(agent.alerts_by_severity),
                                    rules=lambda: (agent.rules_loaded, agent.rules_version))
            register_system_metrics(registry, self.agent.config.sensor.data_dir)
            try:
                self.metrics = start_metrics_server(registry, cfg.listen, cfg.port)
            except OSError as exc:
                # Monitoring matters more than its metrics: run on without them.
                log.error("metrics endpoint %s:%d unavailable: %s", cfg.listen, cfg.port, exc)
        self._start_heartbeat()
        self._thread.start()

    def _start_heartbeat(self) -> None:
        cfg = self.agent.config
        if not cfg.heartbeat.enabled:
            return
        up = cfg.uplink
        # Offers arrive only in heartbeat answers: no heartbeat, no updater.
        self.updater = RuleUpdater(self.agent, ready=self.ready.is_set)
        self.heartbeat = HeartbeatSender(
            up.url, up.read_token(), cfg.sensor.sensor_id,
            heartbeat_collect(self.agent, self.updater), cfg.heartbeat.interval,
            tenant=cfg.sensor.tenant, ca_bundle=str(up.ca_bundle) if up.ca_bundle else None,
            timeout=up.timeout, on_answer=self.updater.on_answer)
        self._hb_thread = threading.Thread(target=self.heartbeat.run, args=(self._hb_stop,),
                                           name="heartbeat", daemon=True)
        self._hb_thread.start()

    def stop(self) -> None:
        self.notifier.stopping()
        self._stop.set()
        self._thread.join(timeout=5)
        self._hb_stop.set()
        if self._hb_thread is not None and self.heartbeat is not None:
            self._hb_thread.join(timeout=5)
            self.heartbeat.close()
        if self.updater is not None:
            self.updater.stop()
        if self.metrics is not None:
            self.metrics.close()
        self.notifier.close()

    def _on_ready(self, status: str) -> None:
        self.ready.set()
        self.notifier.ready(status)
        log.info("ready: %s", status)

    def _run(self) -> None:
        rounds = 0
        while not self._stop.wait(TICK):
            rounds += 1
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self._reload()
            if self.ready.is_set() and self.agent.loop_age() < self.stuck_after:
                self.notifier.watchdog()
            if rounds % STATUS_EVERY == 0:
                self.notifier.status(self.status_line())

    def _reload(self) -> None:
        """SIGHUP: re-read the config file, apply the rule selection, reload rules."""
        if self.reload_config is not None:
            try:
                new = self.reload_config()
            except YamoriError as exc:
                log.error("config reload refused, the running config stays: %s", exc)
                return
            for key in apply_live_config(self.agent.config, new):
                log.warning("config key %s changed: it takes effect at the next restart", key)
        try:
            result = self.agent.reload_rules()
        except Exception:  # a bad ruleset must never stop monitoring
            log.exception("rule reload failed; the previous rules stay in force")
            return
        log.warning("rule reload: %s", result)

    def status_line(self) -> str:
        health = self.agent.engine_health()
        return (f"{self.agent.choice.engine}: {health.get('decoder.pkts', 0)} packets, "
                f"{self.agent.queue.depth()} alerts queued"
                + (" DEGRADED" if health.get("degraded") else ""))
