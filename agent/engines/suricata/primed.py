"""A `suricata -r` that loads its rules before it is told which pcap to read.

`yamori replay` must report the rules Suricata rejects before it writes any
alert (`--strict` exits 3 without running), yet loading ET Open twice (a
`suricata -T`, then the run) doubles the cost of every replay. So the run
itself is started on a named pipe: Suricata parses the rules, builds its
pattern matchers and then blocks opening the pipe. The moment it opens it is
the moment the rules are loaded, and its log already says which failed
(rulelog.py). The pcap is then copied into the pipe: what Suricata reads is
byte for byte the file, so detection is exactly `suricata -r FILE`'s.

Owns: that process, the pipe, the readiness wait and the copy. Does not
write the config (config.py) and does not read eve.json (replay.py).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path

from agent.engines.suricata.config import error_lines, log_path, read_from
from agent.engines.suricata.rulelog import RuleLoadLog, parse_rule_log
from yamori.errors import CaptureError, ConfigError

log = logging.getLogger(__name__)

PIPE_NAME = "input.pcap"
_POLL = 0.05
_LOAD_TIMEOUT = 900.0


class PrimedRun:
    """One `suricata -r PIPE` from rule loading to the end of its pcap."""

    def __init__(self, command_for: list[str], pipe: Path, config: Path, stdout: Path) -> None:
        self.pipe = pipe
        self.config = config
        self.stdout = stdout
        self._command = command_for
        self._log_file = log_path(config)
        self._log_start = _size(self._log_file)
        self._proc: subprocess.Popen[bytes] | None = None
        self._writer: int | None = None

    def start(self, timeout: float = _LOAD_TIMEOUT) -> RuleLoadLog:
        """Start Suricata and wait until its rules are loaded; which rules failed.

        ConfigError when Suricata exits before it reads the pipe (a broken
        configuration, not a rule it skips).
        """
        self.pipe.unlink(missing_ok=True)
        os.mkfifo(self.pipe)
        with self.stdout.open("wb") as out:
            try:
                self._proc = subprocess.Popen(self._command, stdin=subprocess.DEVNULL,
                                              stdout=out, stderr=subprocess.STDOUT)
            except OSError as exc:
                raise ConfigError("suricata.binary",
                                  f"cannot run {self._command[0]}: {exc}") from exc
        self._writer = self._wait_for_reader(timeout)
        return parse_rule_log(self.log_text().splitlines())

    def _wait_for_reader(self, timeout: float) -> int:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                # Succeeds only once a reader holds the pipe open: Suricata's
                # pcap thread, which starts after detection is fully built.
                return os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
            if self._proc.poll() is not None:
                raise ConfigError("suricata.config", f"suricata exited before reading its "
                                                     f"input: {self._failure()}")
            time.sleep(_POLL)
        self.kill()
        raise CaptureError(f"suricata did not load its rules in {timeout:.0f} s")

    def feed(self, pcap: Path, timeout: float) -> list[str]:
        """Copy `pcap` into the pipe, wait for Suricata to finish; its error lines."""
        assert self._proc is not None and self._writer is not None
        fd, self._writer = self._writer, None
        os.set_blocking(fd, True)
        try:
            with pcap.open("rb") as src, os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except BrokenPipeError as exc:
            raise CaptureError(f"suricata stopped reading {pcap}: {self._failure()}") from exc
        try:
            code = self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self.kill()
            raise CaptureError(f"suricata did not finish {pcap} in {timeout:.0f} s") from exc
        if code != 0:
            raise CaptureError(f"suricata -r {pcap} failed: {self._failure()}")
        return error_lines(self.log_text())

    def log_text(self) -> str:
        """What Suricata said since this run started (console and log file)."""
        console = self.stdout.read_text(encoding="utf-8", errors="replace") \
            if self.stdout.exists() else ""
        return console + "\n" + read_from(self._log_file, self._log_start)

    def _failure(self) -> str:
        lines = error_lines(self.log_text())
        code = self._proc.poll() if self._proc is not None else None
        return "; ".join(dict.fromkeys(lines)) or f"exit {code}"

    def kill(self) -> None:
        """Stop a Suricata still waiting for its pcap (or still reading it)."""
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self.pipe.unlink(missing_ok=True)


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0
