"""The agent's long-running Suricata on a live interface.

Owns: the work directory layout (rules/live, eve.json and its one rotated
generation, the unix socket, suricata.yaml), validating the configuration and
the ruleset with `suricata -T` before either is used, running Suricata under
the Supervisor (af-packet, cluster_flow, Pi memcaps, eve alert+stats), rule
reload through the command socket, and eve.json rotation.

Rotation is the agent's, not Suricata's: Suricata writes one regular,
append-mode eve.json; when it grows past `eve_max_bytes` the agent renames it
to eve.json.1 and asks Suricata to reopen its logs. Suricata keeps writing the
old inode until its next write reopens the path, so the follower finishes the
old file before it switches (the new file's existence proves the old one is
complete). eve.json.1 is deleted only when no committed bookmark points into
it, so a crashed agent always finds the file its bookmark names.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.engines.base import EngineSettings
from agent.engines.suricata import replay
from agent.engines.suricata import ruleset as rs
from agent.engines.suricata.config import (
    EVE_FILENAME,
    STOCK_CONFIG,
    AfPacketOptions,
    Memcaps,
    SuricataOptions,
    write_config,
)
from agent.engines.suricata.control import ControlError, SuricataControl
from agent.engines.suricata.eve import Bookmark
from agent.engines.suricata.process import Backoff, State, Supervisor
from agent.engines.suricata.rulelog import RuleLoadLog
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

ROTATED_SUFFIX = ".1"
_RELOAD_TIMEOUT = 600.0


@dataclass(slots=True)
class LiveOptions:
    """How the agent runs Suricata on the box."""

    workdir: Path
    interface: str
    binary: Path | str = "suricata"
    base_config: Path = STOCK_CONFIG
    threads: str = "auto"
    bpf: str | None = None
    stats_interval: int = 8
    memcaps: Memcaps | None = field(default_factory=Memcaps)
    eve_max_bytes: int = 64 * 1024 * 1024
    backoff: Backoff = field(default_factory=Backoff)
    cluster_id: int = 99
    ring_size: int | None = None  # af-packet ring/block sizes; None: Suricata's defaults
    block_size: int | None = None
    tpacket_v3: bool = True
    # Evidence in each eve.json alert (eve-log alert payload/payload-printable, packet).
    eve_payload: bool = False
    eve_packet: bool = False


@dataclass(slots=True)
class ReloadResult:
    """What one rule reload did."""

    ok: bool
    message: str
    duration: float = 0.0
    rules_loaded: int | None = None
    rules_failed: int | None = None
    failed_rules: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class LiveSuricata:
    """One Suricata capturing on an interface, its files and its socket."""

    def __init__(self, settings: EngineSettings, options: LiveOptions) -> None:
        self.settings = settings
        self.options = options
        work = options.workdir
        self.log_dir = work / "log"
        self.eve = self.log_dir / EVE_FILENAME
        self.eve_rotated = self.log_dir / (EVE_FILENAME + ROTATED_SUFFIX)
        self.rules_live = work / "rules" / "live"
        self.rules_staging = work / "rules" / "staging"
        self.rules_previous = work / "rules" / "previous"
        self.socket = work / "suricata.socket"
        self.config = work / "suricata.yaml"
        self.supervisor: Supervisor | None = None
        self.last_load: RuleLoadLog | None = None
        self.last_reload: ReloadResult | None = None

    # -- configuration -----------------------------------------------------------

    def _options(self, rules_dir: Path, log_dir: Path) -> SuricataOptions:
        staged = rs.paths(rules_dir)
        o = self.options
        afp = AfPacketOptions(interface=o.interface, cluster_id=o.cluster_id,
                              threads=o.threads, bpf=o.bpf, ring_size=o.ring_size,
                              block_size=o.block_size, tpacket_v3=o.tpacket_v3)
        return SuricataOptions(
            log_dir=log_dir, rule_files=list(staged.rule_files), base_config=o.base_config,
            reference_config=staged.reference, threshold_file=staged.threshold,
            stats_interval=o.stats_interval, unix_socket=self.socket, af_packet=afp,
            memcaps=o.memcaps, eve_payload=o.eve_payload, eve_packet=o.eve_packet)

    def _settings(self, rules_dir: Path) -> EngineSettings:
        return dataclasses.replace(self.settings,
                                   classification_file=rules_dir / rs.CLASSIFICATION_NAME)

    def _validate(self, rules_dir: Path) -> RuleLoadLog:
        """`suricata -T` on the full configuration with the rules in `rules_dir`."""
        test_dir = self.options.workdir / "test"
        config = write_config(self._settings(rules_dir), self._options(rules_dir, test_dir),
                              self.options.workdir / "test-suricata.yaml")
        return replay.test_load(self.options.binary, config, test_dir, self.settings)

    def prepare(self, ruleset: rs.Ruleset) -> RuleLoadLog:
        """Stage, validate and install the ruleset; write the live suricata.yaml.

        Raises ConfigError (nothing installed) when Suricata rejects the
        configuration itself; rules it rejects one by one are reported.
        """
        result = self._validate(rs.stage(ruleset, self.rules_staging))
        rs.install(self.rules_staging, self.rules_live, self.rules_previous)
        write_config(self._settings(self.rules_live), self._options(self.rules_live, self.log_dir),
                     self.config)
        self.last_load = result
        return result

    def command(self) -> list[str]:
        """The live Suricata's command line (af-packet from the config's section)."""
        return [str(self.options.binary), *replay.common_args(self.config, self.log_dir,
                                                              self.settings),
                f"--af-packet={self.options.interface}"]

    # -- process -------------------------------------------------------------------

    def start(self) -> None:
        """Start Suricata under the Supervisor (restarts with backoff)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale(self.config, self.socket)
        self.supervisor = Supervisor(self.command(), backoff=self.options.backoff,
                                     ready=self.socket.exists,
                                     log_file=self.log_dir / "suricata.stdout")
        self.supervisor.start()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()

    @property
    def state(self) -> State:
        return self.supervisor.state if self.supervisor is not None else State.STOPPED

    def control(self, timeout: float = 10.0) -> SuricataControl:
        ctl = SuricataControl(self.socket, timeout=timeout)
        ctl.connect()
        return ctl

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """True once the command socket answers (rules loaded, capture started)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.control(timeout=5.0) as ctl:
                    ctl.uptime()
                    return True
            except ControlError:
                time.sleep(0.2)
        return False

    # -- rules ---------------------------------------------------------------------

    def reload(self, ruleset: rs.Ruleset, timeout: float = _RELOAD_TIMEOUT) -> ReloadResult:
        """Validate, swap in and reload `ruleset` without a restart.

        A ruleset `suricata -T` rejects is never swapped in: the running
        rules stay, and the result says why.
        """
        began = time.monotonic()
        try:
            self.last_load = self._validate(rs.stage(ruleset, self.rules_staging))
        except ConfigError as exc:
            self.last_reload = ReloadResult(False, f"new ruleset rejected, old kept: {exc}")
            return self.last_reload
        rs.install(self.rules_staging, self.rules_live, self.rules_previous)
        try:
            result = self._reload_running(timeout)
        except ControlError as exc:
            result = ReloadResult(False, f"reload through the socket failed: {exc}")
        if not result.ok:
            rs.restore(self.rules_previous, self.rules_live)
        result.duration = time.monotonic() - began
        self.last_reload = result
        log.info("rule reload: %s in %.1f s", result.message, result.duration)
        return result

    def _reload_running(self, timeout: float) -> ReloadResult:
        with self.control(timeout=30.0) as ctl:
            before = _last_reload(ctl.reload_time())
            began = time.monotonic()
            ctl.reload_rules()
            if not _wait(lambda: _last_reload(ctl.reload_time()) != before, timeout):
                return ReloadResult(False, f"no reload completed within {timeout:.0f} s")
            took = time.monotonic() - began
            stats = _first(ctl.ruleset_stats())
            failed = ctl.failed_rules()
        return ReloadResult(True, f"reloaded in {took:.1f} s",
                            rules_loaded=_int(stats.get("rules_loaded")),
                            rules_failed=_int(stats.get("rules_failed")),
                            failed_rules=failed if isinstance(failed, list) else [])

    # -- eve.json rotation -----------------------------------------------------------

    def maybe_rotate(self, committed: Bookmark | None) -> bool:
        """Rotate eve.json when it is too big and the last rotation is consumed."""
        try:
            size = self.eve.stat().st_size
        except OSError:
            return False  # not written yet, or a rotation waits for Suricata's next write
        if size < self.options.eve_max_bytes or self.state is not State.RUNNING:
            return False
        old = _identity(self.eve_rotated)
        if old is not None:
            if committed is not None and (committed.device, committed.inode) == old:
                return False  # the previous generation is still being read
            self.eve_rotated.unlink()
        os.replace(self.eve, self.eve_rotated)
        if not self._reopen_logs():
            # Suricata still writes the renamed inode: give the path back to it.
            os.replace(self.eve_rotated, self.eve)
            return False
        log.info("eve: rotated %s (%d bytes)", self.eve, size)
        return True

    def _reopen_logs(self) -> bool:
        # SIGHUP is Suricata's documented "reopen every log file" (logrotate's way).
        pid = self.supervisor.pid if self.supervisor is not None else None
        if pid is None:
            return False
        try:
            os.kill(pid, signal.SIGHUP)
        except OSError as exc:
            log.warning("eve: cannot ask suricata to reopen its logs: %s", exc)
            return False
        return True


def _wait(cond: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _last_reload(value: Any) -> str:
    return str(_first(value).get("last_reload", ""))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _remove_stale(config: Path, socket: Path) -> None:
    """Wait for a Suricata of a killed agent to finish; clear its socket.

    The Supervisor has its child killed with the agent (PDEATHSIG), but that
    child may still be flushing eve.json and holding the command socket.
    """
    deadline = time.monotonic() + 30.0
    while _running_with(config) and time.monotonic() < deadline:
        time.sleep(0.2)
    socket.unlink(missing_ok=True)


def suricata_pids(config: Path) -> list[int]:
    """Pids of the Suricata processes started with this suricata.yaml."""
    marker = b"\0" + str(config).encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if b"suricata" in cmdline.split(b"\0", 1)[0] and marker in b"\0" + cmdline:
            found.append(int(entry.name))
    return found


def _running_with(config: Path) -> bool:
    return bool(suricata_pids(config))
