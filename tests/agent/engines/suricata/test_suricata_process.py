"""The Suricata supervisor, with stand-in children (sleep, false)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from agent.engines.suricata.process import Backoff, State, Supervisor


def _until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    b = Backoff(initial=1.0, factor=2.0, cap=5.0)
    assert [b.delay(n) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_running_child_is_running_and_stops() -> None:
    sup = Supervisor(["sleep", "30"], stop_timeout=5.0)
    sup.start()
    _until(lambda: sup.state is State.RUNNING)
    assert sup.pid is not None
    assert sup.stop() == -15  # SIGTERM
    assert sup.state is State.STOPPED and sup.pid is None


def test_exiting_child_is_restarted_then_given_up() -> None:
    sup = Supervisor(["false"], backoff=Backoff(initial=0.01, cap=0.02, max_restarts=3))
    sup.start()
    _until(lambda: sup.state is State.FAILED)
    assert sup.restarts == 3 and sup.last_exit == 1
    sup.stop()
    assert sup.state is State.FAILED


def test_waits_for_ready_before_running(tmp_path) -> None:
    flag = tmp_path / "ready"
    sup = Supervisor(["sleep", "30"], ready=flag.exists, stop_timeout=5.0)
    sup.start()
    time.sleep(0.5)
    assert sup.state is State.STARTING
    flag.touch()
    _until(lambda: sup.state is State.RUNNING)
    sup.stop()


def test_child_ignoring_sigterm_is_killed() -> None:
    sup = Supervisor(["sh", "-c", "trap '' TERM; sleep 30"], stop_timeout=0.5)
    sup.start()
    _until(lambda: sup.state is State.RUNNING)
    time.sleep(0.2)  # let the shell install its trap
    assert sup.stop() == -9


def test_unstartable_command_fails() -> None:
    sup = Supervisor(["/nonexistent/suricata"])
    sup.start()
    _until(lambda: sup.state is State.FAILED)
    sup.stop()


@pytest.mark.parametrize("attempt,expected", [(0, 0.5), (3, 4.0), (10, 4.0)])
def test_backoff_delay_table(attempt: int, expected: float) -> None:
    assert Backoff(initial=0.5, cap=4.0).delay(attempt) == expected
