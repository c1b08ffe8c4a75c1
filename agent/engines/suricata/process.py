"""Supervise one long-running Suricata child.

Owns: starting it, noticing that it exited, restarting it with capped
exponential backoff, and stopping it (SIGTERM, wait, then SIGKILL). The state
property says where it is: starting, running, restarting, failed or stopped.
It does not build the command line (engine.py does) or read its output files.

The child gets SIGTERM when the agent dies (Linux PR_SET_PDEATHSIG): an agent
killed with SIGKILL must not leave an orphan Suricata holding the interface,
the pid file and the command socket that the next agent needs.
"""

from __future__ import annotations

import ctypes
import enum
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: nothing to import after

    def set_pdeathsig() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    return set_pdeathsig


class State(enum.Enum):
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(slots=True, frozen=True)
class Backoff:
    """Restart delays: initial * factor**n, at most `cap`; give up after max_restarts."""

    initial: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    max_restarts: int | None = None  # None: never give up
    # A child that stayed up this long counts as healthy: the delay starts over.
    healthy_after: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.initial * self.factor ** max(0, attempt)))


class Supervisor:
    """Keep `command` running until stop(); restart it when it exits."""

    def __init__(self, command: Sequence[str], *, backoff: Backoff | None = None,
                 ready: Callable[[], bool] | None = None, log_file: Path | None = None,
                 stop_timeout: float = 30.0) -> None:
        self.command = list(command)
        self.backoff = backoff or Backoff()
        self.stop_timeout = stop_timeout
        self.restarts = 0
        self.last_exit: int | None = None
        self._ready = ready  # "running" once this says so; at once if None
        self._log_file = log_file
        self._state = State.STOPPED
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> State:
        return self._state

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the child and the thread that watches it."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._state = State.STARTING
        self._thread = threading.Thread(target=self._watch, name="suricata-supervisor",
                                        daemon=True)
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        out = self._log_file.open("ab") if self._log_file else subprocess.DEVNULL
        try:
            return subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent())  # noqa: PLW1509
        finally:
            if self._log_file:
                out.close()  # type: ignore[union-attr]

    def _watch(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            began = time.monotonic()
            if not self._run_once():
                return
            if time.monotonic() - began >= self.backoff.healthy_after:
                attempt = 0
            if not self._may_restart():
                return
            self._state = State.RESTARTING
            delay = self.backoff.delay(attempt)
            attempt += 1
            log.warning("suricata exited (%s); restarting in %.1f s", self.last_exit, delay)
            if self._stop.wait(delay):
                return
            self.restarts += 1

    def _run_once(self) -> bool:
        """Run the child until it exits; False when it could not start or we stop."""
        with self._lock:
            if self._stop.is_set():
                return False
            try:
                self._proc = self._spawn()
            except OSError as exc:
                log.error("cannot start suricata: %s", exc)
                self._state = State.FAILED
                return False
        self._state = State.STARTING
        while self._proc.poll() is None:
            if self._state is State.STARTING and (self._ready is None or self._ready()):
                self._state = State.RUNNING
            if self._stop.wait(0.2):
                return False
        self.last_exit = self._proc.returncode
        return not self._stop.is_set()

    def _may_restart(self) -> bool:
        limit = self.backoff.max_restarts
        if limit is not None and self.restarts >= limit:
            log.error("suricata exited %d times; giving up", self.restarts + 1)
            self._state = State.FAILED
            return False
        return True

    def stop(self) -> int | None:
        """Stop the child (SIGTERM, then SIGKILL after stop_timeout); its exit code."""
        with self._lock:
            self._stop.set()
            proc = self._proc
        code = _terminate(proc, self.stop_timeout) if proc is not None else None
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._state is not State.FAILED:
            self._state = State.STOPPED
        return code


def _terminate(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    if proc.poll() is not None:
        return proc.returncode
    proc.terminate()
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("suricata pid %d ignored SIGTERM for %.0f s; killing it", proc.pid, timeout)
        proc.kill()
        return proc.wait()
