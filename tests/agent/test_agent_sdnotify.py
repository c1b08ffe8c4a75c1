"""sd_notify messages reach a socket the way systemd reads them."""

import os
import socket
from pathlib import Path

import pytest

from agent.sdnotify import Notifier, watchdog_interval


@pytest.fixture
def listener(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield sock, str(path)
    sock.close()


def test_ready_sends_ready_and_status(listener) -> None:  # type: ignore[no-untyped-def]
    sock, path = listener
    assert Notifier(path).ready("engine builtin loaded 5 rules")
    assert sock.recv(4096) == b"READY=1\nSTATUS=engine builtin loaded 5 rules"


def test_watchdog_message(listener) -> None:  # type: ignore[no-untyped-def]
    sock, path = listener
    Notifier(path).watchdog()
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    notifier = Notifier()
    assert not notifier.enabled
    assert notifier.ready("x") is False


def test_missing_socket_is_a_logged_failure_not_an_exception(tmp_path: Path) -> None:
    assert Notifier(str(tmp_path / "gone.sock")).watchdog() is False


def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_interval() == 15.0


def test_watchdog_for_another_pid_is_not_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval() is None
