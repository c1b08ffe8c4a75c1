"""The command-socket client against a real Suricata in unix-socket (pcap) mode."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.engines.base import EngineSettings
from agent.engines.suricata.config import STOCK_CONFIG, SuricataOptions, write_config
from agent.engines.suricata.control import ControlError, SuricataControl
from agent.engines.suricata.process import Backoff, State, Supervisor

pytestmark = pytest.mark.skipif(shutil.which("suricata") is None or not STOCK_CONFIG.exists(),
                                reason="suricata is not installed")


def _wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear")
        time.sleep(0.1)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[Path, Supervisor]]:
    rules = tmp_path / "c.rules"
    rules.write_text('alert icmp any any -> any any (msg:"icmp"; sid:1;)\n'
                     'alert tcp any any -> any any (msg:"bad"; nope:1; sid:2;)\n')
    sock = tmp_path / "s.sock"
    opts = SuricataOptions(log_dir=tmp_path / "log", rule_files=[rules], unix_socket=sock)
    config = write_config(EngineSettings(), opts, tmp_path / "suricata.yaml")
    sup = Supervisor(["suricata", "-c", str(config), "-l", str(tmp_path / "log"),
                      f"--unix-socket={sock}"], stop_timeout=20.0,
                     backoff=Backoff(initial=0.5), ready=sock.exists)
    sup.start()
    try:
        _wait_for(sock)
        yield sock, sup
    finally:
        sup.stop()


@pytest.fixture
def socket_path(supervised: tuple[Path, Supervisor]) -> Path:
    return supervised[0]


def test_handshake_and_version(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl:
        assert ctl.version().startswith("7.")


def test_uptime_is_a_number(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl:
        assert ctl.uptime() >= 0


def test_ruleset_stats_counts_loaded_and_failed(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl:
        (engine,) = ctl.ruleset_stats()
    assert (engine["rules_loaded"], engine["rules_failed"]) == (1, 1)


def test_failed_rules_lists_the_rejected_rule(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl:
        failed = ctl.failed_rules()
    assert any("sid:2;" in item["rule"] for item in failed)


def test_reload_then_reload_time(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl:
        ctl.reload_rules()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            times = ctl.reload_time()
            if times and times[0].get("last_reload") != "1970-01-01T00:00:00":
                break
            time.sleep(0.2)
        assert times and "last_reload" in times[0]


def test_unknown_command_is_nok(socket_path: Path) -> None:
    with SuricataControl(socket_path) as ctl, pytest.raises(ControlError):
        ctl.command("no-such-command")


def test_connect_to_missing_socket_fails(tmp_path: Path) -> None:
    with pytest.raises(ControlError):
        SuricataControl(tmp_path / "none.sock").connect()


def test_shutdown_then_supervisor_restarts_suricata(supervised: tuple[Path, Supervisor]) -> None:
    sock, sup = supervised
    first_pid = sup.pid
    with SuricataControl(sock) as ctl:
        ctl.shutdown()
    deadline = time.monotonic() + 60
    while not (sup.restarts == 1 and sup.state is State.RUNNING and sup.pid != first_pid):
        assert time.monotonic() < deadline, f"no restart: {sup.state}"
        time.sleep(0.1)
    _wait_for(sock)
    time.sleep(0.5)  # the socket file can appear just before Suricata listens
    with SuricataControl(sock) as ctl:
        assert ctl.uptime() >= 0
    assert sup.last_exit == 0
