"""SuricataEngine: the Engine protocol on top of a real Suricata.

load_rules() writes the suricata.yaml for the given rule files and test-loads
it (`suricata -T`), mapping every rule Suricata rejects to a RuleParseError.
run() replays a pcap (`suricata -r`, then the alerts of eve.json in order) or
captures live on an interface (`--af-packet=IFACE` under a Supervisor,
following eve.json until should_stop()). Rule reload on a running Suricata
and bookmark persistence belong to the agent, not here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.engines.base import EngineSettings, EngineStats, EveRecord, RuleLoadReport, SourceSpec
from agent.engines.suricata import replay
from agent.engines.suricata.config import (
    EVE_FILENAME,
    STOCK_CONFIG,
    AfPacketOptions,
    Memcaps,
    SuricataOptions,
    write_config,
)
from agent.engines.suricata.discover import usable
from agent.engines.suricata.eve import EveFollower
from agent.engines.suricata.process import Backoff, Supervisor
from yamori.errors import CaptureError, ConfigError

log = logging.getLogger(__name__)

CONFIG_NAME = "suricata.yaml"
_POLL_INTERVAL = 0.2


@dataclass(slots=True)
class SuricataEngineOptions:
    """How to run Suricata; everything defaults to the distribution's."""

    binary: Path | str | None = None  # None: `suricata` on PATH
    workdir: Path | None = None  # None: a temporary directory, removed by close()
    base_config: Path = STOCK_CONFIG
    overlay_config: Path | None = None
    memcaps: Memcaps | None = field(default_factory=Memcaps)
    unix_socket: Path | None = None  # live mode only
    backoff: Backoff = field(default_factory=Backoff)
    pcap_timeout: float = 3600.0


class SuricataEngine:
    name = "suricata"

    def __init__(self, settings: EngineSettings,
                 options: SuricataEngineOptions | None = None) -> None:
        self.settings = settings
        self.options = options or SuricataEngineOptions()
        info = usable(self.options.binary)
        if info is None:
            raise ConfigError("engine", "no usable suricata (>= 7.0) found")
        self.binary = info.path
        self.stats = EngineStats()
        self.supervisor: Supervisor | None = None
        self._rule_files: list[Path] = []
        self._own_workdir = self.options.workdir is None
        self.workdir = self.options.workdir or Path(tempfile.mkdtemp(prefix="yamori-suricata-"))
        # A temporary workdir goes with the engine, even if close() is never called.
        self._cleanup = (weakref.finalize(self, shutil.rmtree, self.workdir, True)
                         if self._own_workdir else None)

    def close(self) -> None:
        """Remove the temporary work directory, if this engine made it."""
        if self._cleanup is not None:
            self._cleanup()

    def _suricata_options(self, log_dir: Path, af_packet: AfPacketOptions | None = None,
                          unix_socket: Path | None = None) -> SuricataOptions:
        return SuricataOptions(
            log_dir=log_dir, rule_files=list(self._rule_files),
            base_config=self.options.base_config, overlay_config=self.options.overlay_config,
            memcaps=self.options.memcaps, af_packet=af_packet, unix_socket=unix_socket)

    def _write(self, name: str, **kw: Any) -> tuple[Path, Path]:
        log_dir = self.workdir / name
        config = write_config(self.settings, self._suricata_options(log_dir, **kw),
                              self.workdir / f"{name}-{CONFIG_NAME}")
        return config, log_dir

    def load_rules(self, rule_files: Sequence[Path]) -> RuleLoadReport:
        """Test-load the rules with Suricata; every rule it rejects is reported."""
        missing = [f for f in rule_files if not Path(f).is_file()]
        if missing:
            raise ConfigError("rules", f"no such rule file: {missing[0]}")
        self._rule_files = [Path(f).resolve() for f in rule_files]
        config, log_dir = self._write("load")
        result = replay.test_load(self.binary, config, log_dir, self.settings)
        loaded = result.loaded if result.loaded is not None else -1
        if result.loaded is None:
            # Suricata stops before its summary when a rule fails under -T:
            # the run itself will load the rest, so count what it will load.
            loaded = max(0, _count_rules(self._rule_files) - len(result.failed))
        return RuleLoadReport(loaded=loaded, skipped=list(result.failed))

    def run(self, source: SourceSpec,
            should_stop: Callable[[], bool] | None = None) -> Iterator[EveRecord]:
        if source.pcap is not None:
            return self._run_pcap(source.pcap)
        if source.interface is not None:
            return self._run_live(source, should_stop or (lambda: False))
        raise CaptureError("no capture source: set a pcap file or an interface")

    def _run_pcap(self, pcap: Path) -> Iterator[EveRecord]:
        config, log_dir = self._write("replay")
        result = replay.run_pcap(self.binary, config, pcap, log_dir, self.settings,
                                 timeout=self.options.pcap_timeout)
        for record in replay.eve_records(result.eve_path):
            if record.get("event_type") == "alert":
                self.stats.alerts += 1
                yield record
            elif record.get("event_type") == "stats":
                update_stats(self.stats, record)

    def live_command(self, config: Path, log_dir: Path, interface: str) -> list[str]:
        """The command line of a live Suricata on `interface`."""
        return [str(self.binary), *replay.common_args(config, log_dir, self.settings),
                f"--af-packet={interface}"]

    def _run_live(self, source: SourceSpec,
                  should_stop: Callable[[], bool]) -> Iterator[EveRecord]:
        assert source.interface is not None
        afp = AfPacketOptions(interface=source.interface, bpf=source.bpf)
        config, log_dir = self._write("live", af_packet=afp, unix_socket=self.options.unix_socket)
        eve = log_dir / EVE_FILENAME
        if eve.exists():
            eve.unlink()
        self.supervisor = Supervisor(self.live_command(config, log_dir, source.interface),
                                     backoff=self.options.backoff, ready=eve.exists,
                                     log_file=log_dir / "suricata.stdout")
        self.supervisor.start()
        try:
            yield from self._follow(EveFollower(eve), should_stop)
        finally:
            self.supervisor.stop()

    def _follow(self, follower: EveFollower,
                should_stop: Callable[[], bool]) -> Iterator[EveRecord]:
        try:
            while not should_stop():
                for record, _bookmark in follower.poll():
                    if record.get("event_type") == "alert":
                        self.stats.alerts += 1
                        yield record
                    elif record.get("event_type") == "stats":
                        update_stats(self.stats, record)
                time.sleep(_POLL_INTERVAL)
        finally:
            follower.close()


def update_stats(stats: EngineStats, record: EveRecord) -> None:
    """Copy Suricata's running totals from a stats record."""
    body = record.get("stats") or {}
    decoder = body.get("decoder") or {}
    stats.packets = int(decoder.get("pkts", stats.packets))
    stats.bytes = int(decoder.get("bytes", stats.bytes))
    stats.decode_errors = int(decoder.get("invalid", stats.decode_errors))
    flow = body.get("flow") or {}
    stats.flows = int(flow.get("total", stats.flows)) if "total" in flow else stats.flows


def _count_rules(files: Sequence[Path]) -> int:
    # Rules as Suricata counts lines: not blank, not a comment.
    total = 0
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as fh:
            total += sum(1 for line in fh if line.strip() and not line.lstrip().startswith("#"))
    return total
