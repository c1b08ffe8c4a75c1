"""SuricataEngine: the Engine protocol on top of a real Suricata.

load_rules() writes the suricata.yaml for the given rule files and starts the
pcap run itself on a named pipe (primed.py): Suricata loads the rules once,
and every rule it rejects becomes a RuleParseError before any packet is read.
run() then feeds a pcap to that waiting Suricata and yields the alerts of
eve.json in order; for a live interface it delegates to LiveSuricata (live.py,
the one live implementation: validated ruleset, supervision, eve rotation).
Rule reload on a running Suricata and bookmark persistence belong to the
agent (live.py, feed.py), not here.
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

from agent.engines.base import EngineSettings, EngineStats, EveRecord, RuleLoadReport, SourceSpec
from agent.engines.suricata import replay
from agent.engines.suricata import ruleset as rs
from agent.engines.suricata.config import (
    EVE_FILENAME,
    STOCK_CONFIG,
    Memcaps,
    SuricataOptions,
    write_config,
)
from agent.engines.suricata.discover import usable
from agent.engines.suricata.eve import Bookmark, EveFollower
from agent.engines.suricata.live import LiveOptions, LiveSuricata
from agent.engines.suricata.primed import PIPE_NAME, PrimedRun
from agent.engines.suricata.process import Backoff
from agent.engines.suricata.rulelog import RuleLoadLog
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
    unix_socket: Path | None = None  # unused: live mode's socket is LiveSuricata's
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
        self.live: LiveSuricata | None = None
        self._rule_files: list[Path] = []
        # At most one Suricata waiting on its pipe; a list so the finalizer shares it.
        self._primed: list[PrimedRun] = []
        self._own_workdir = self.options.workdir is None
        self.workdir = self.options.workdir or Path(tempfile.mkdtemp(prefix="yamori-suricata-"))
        # A waiting Suricata and a temporary workdir go with the engine, even
        # when close() is never called (replay --strict returns before run()).
        self._cleanup = weakref.finalize(self, _cleanup, self._primed, self.workdir,
                                         self._own_workdir)

    def close(self) -> None:
        """Stop a Suricata still waiting for a pcap; remove a temporary workdir."""
        self._cleanup()

    def _write(self, name: str) -> tuple[Path, Path]:
        log_dir = self.workdir / name
        # A ruleset's own threshold.config/reference.config (beside its rules,
        # as a bundle ships them) win over the distribution's stock files.
        found = rs.from_files(self._rule_files) if self._rule_files else None
        options = SuricataOptions(
            log_dir=log_dir, rule_files=list(self._rule_files),
            threshold_file=found.threshold if found else None,
            reference_config=found.reference if found else None,
            base_config=self.options.base_config, overlay_config=self.options.overlay_config,
            memcaps=self.options.memcaps)
        config = write_config(self.settings, options, self.workdir / f"{name}-{CONFIG_NAME}")
        return config, log_dir

    def load_rules(self, rule_files: Sequence[Path]) -> RuleLoadReport:
        """Start the pcap run on its pipe; every rule Suricata rejects is reported."""
        missing = [f for f in rule_files if not Path(f).is_file()]
        if missing:
            raise ConfigError("rules", f"no such rule file: {missing[0]}")
        self._rule_files = [Path(f).resolve() for f in rule_files]
        result = self._prime()
        loaded = result.loaded
        if loaded is None:
            loaded = max(0, _count_rules(self._rule_files) - len(result.failed))
        return RuleLoadReport(loaded=loaded, skipped=list(result.failed))

    def _prime(self) -> RuleLoadLog:
        self._drop_primed()
        config, log_dir = self._write("replay")
        eve = log_dir / EVE_FILENAME
        eve.unlink(missing_ok=True)  # eve-log appends: a previous run's alerts must not come back
        pipe = self.workdir / PIPE_NAME
        command = replay.pcap_command(self.binary, config, pipe, log_dir, self.settings)
        primed = PrimedRun(command, pipe, config, log_dir / "suricata.stdout")
        self._primed.append(primed)
        return primed.start()

    def _drop_primed(self) -> None:
        while self._primed:
            self._primed.pop().kill()

    def run(self, source: SourceSpec,
            should_stop: Callable[[], bool] | None = None) -> Iterator[EveRecord]:
        if source.pcap is not None:
            return self._run_pcap(source.pcap)
        if source.interface is not None:
            return self._run_live(source, should_stop or (lambda: False))
        raise CaptureError("no capture source: set a pcap file or an interface")

    def _run_pcap(self, pcap: Path) -> Iterator[EveRecord]:
        if not pcap.is_file():
            raise CaptureError(f"cannot open pcap {pcap}: no such file")
        if not self._primed:
            self._prime()  # run() without load_rules(), or a second run()
        primed = self._primed.pop()
        try:
            primed.feed(pcap, self.options.pcap_timeout)
        finally:
            primed.kill()
        for record in replay.eve_records(self.workdir / "replay" / EVE_FILENAME):
            if record.get("event_type") == "alert":
                self.stats.alerts += 1
                yield record
            elif record.get("event_type") == "stats":
                update_stats(self.stats, record)

    def _run_live(self, source: SourceSpec,
                  should_stop: Callable[[], bool]) -> Iterator[EveRecord]:
        """Live capture through LiveSuricata, yielding alerts until should_stop()."""
        assert source.interface is not None
        self._drop_primed()
        live = LiveSuricata(self.settings, LiveOptions(
            workdir=self.workdir / "live", interface=source.interface, binary=self.binary,
            base_config=self.options.base_config, bpf=source.bpf,
            memcaps=self.options.memcaps, backoff=self.options.backoff))
        live.prepare(rs.from_files(self._rule_files, self.settings.classification_file))
        live.eve.unlink(missing_ok=True)  # this engine keeps no bookmark: start afresh
        live.eve_rotated.unlink(missing_ok=True)
        self.live = live
        live.start()
        follower = EveFollower(live.eve, rotated=[live.eve_rotated])
        try:
            yield from self._follow(live, follower, should_stop)
        finally:
            live.stop()
            follower.close()

    def _follow(self, live: LiveSuricata, follower: EveFollower,
                should_stop: Callable[[], bool]) -> Iterator[EveRecord]:
        last: Bookmark | None = None
        while not should_stop():
            for record, bookmark in follower.poll():
                last = bookmark
                if record.get("event_type") == "alert":
                    self.stats.alerts += 1
                    yield record
                elif record.get("event_type") == "stats":
                    update_stats(self.stats, record)
            live.maybe_rotate(last)  # a yielded record is a consumed one
            time.sleep(_POLL_INTERVAL)


def _cleanup(primed: list[PrimedRun], workdir: Path, remove: bool) -> None:
    while primed:
        primed.pop().kill()
    if remove:
        shutil.rmtree(workdir, ignore_errors=True)


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
