"""The agent's real Suricata on a live veth: alerts reach a real collector exactly once.

Needs root, iproute2 and Suricata >= 7.0; skipped with the reason otherwise.
Everything runs inside two namespaces the test creates (netns.py). The agent
runs as its own process (`yamori agent run`) so it can be killed with
SIGKILL; Suricata is killed with SIGKILL too; eve.json is rotated under
load. The proof: the multiset of alerts Suricata wrote (every eve.json
generation) equals the multiset the collector stored.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.engines.suricata.discover import usable
from agent.engines.suricata.live import suricata_pids
from collector.cli import enroll
from collector.config import load_config
from collector.testing import ADMIN_TOKEN


@dataclass(slots=True, frozen=True)
class Pair:
    ns_a: str
    ns_b: str
    if_a: str
    addr_a: str
    addr_b: str


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def in_ns(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]


@contextmanager
def veth_pair(tag: str) -> Iterator[Pair]:
    tag = f"{tag}{os.getpid() % 10000}"
    pair = Pair(f"ymA{tag}", f"ymB{tag}", f"ya{tag}", "10.99.7.1", "10.99.7.2")
    if_b = f"yb{tag}"
    ip("netns", "add", pair.ns_a)
    ip("netns", "add", pair.ns_b)
    try:
        ip("-n", pair.ns_a, "link", "add", pair.if_a, "type", "veth", "peer", "name", if_b,
           "netns", pair.ns_b)
        for ns, iface, addr in ((pair.ns_a, pair.if_a, pair.addr_a),
                                (pair.ns_b, if_b, pair.addr_b)):
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", iface)
            ip("-n", ns, "link", "set", iface, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield pair
    finally:
        subprocess.run(["ip", "netns", "del", pair.ns_a], capture_output=True)
        subprocess.run(["ip", "netns", "del", pair.ns_b], capture_output=True)


# A client in A that requests /attack?n=<i> from B until the stop file appears.
CLIENT = """
import sys, time, pathlib, urllib.request
url, stop, gap = sys.argv[1], pathlib.Path(sys.argv[2]), float(sys.argv[3])
n = 0
while not stop.exists():
    for path in ("attack", "second"):
        try:
            urllib.request.urlopen(f"{url}/{path}?n={n}", timeout=2).read()
        except Exception:
            pass
    n += 1
    time.sleep(gap)
"""


ROOT = Path(__file__).resolve().parents[2]
YAMORI = str(ROOT / ".venv" / "bin" / "yamori")

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="live Suricata test needs root and iproute2 (ip netns, veth)"),
    pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed"),
]

RULES = (
    'alert http any any -> any any (msg:"yamori live attack"; flow:established,to_server; '
    'http.uri; content:"/attack"; sid:9900001; rev:1;)\n'
)
SECOND = (
    'alert http any any -> any any (msg:"yamori live second"; flow:established,to_server; '
    'http.uri; content:"/second"; sid:9900002; rev:1;)\n'
)
PORT = 18080


def until(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def pair() -> Iterator[Pair]:
    with veth_pair("f") as made:
        yield made


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _agent_config(tmp: Path, pair: Pair, token: str, eve_max: int) -> Path:
    rules = tmp / "ruleset"
    rules.mkdir()
    (rules / "live.rules").write_text(RULES)
    path = tmp / "agent.toml"
    path.write_text(f"""
[sensor]
sensor_id = "pi-live"
tenant = "tanaka-kogyo"
data_dir = "{tmp / 'agent'}"
[capture]
interface = "{pair.if_a}"
[engine]
engine = "suricata"
ruleset_dir = "{rules}"
[engine.vars]
HOME_NET = "[10.99.7.0/24]"
[suricata]
threads = "1"
stats_interval = 1
eve_max_bytes = {eve_max}
restart_max_delay = 2.0
[uplink]
url = "http://127.0.0.1:{PORT}"
token = "{token}"
""")
    return path


def _fetch(pair: Pair) -> list[dict[str, Any]]:
    code = ("import json; from yamori.demo import fetch_alerts; "
            f"print(json.dumps(fetch_alerts('http://127.0.0.1:{PORT}', {ADMIN_TOKEN!r})))")
    done = subprocess.run(in_ns(pair.ns_a, sys.executable, "-c", code), capture_output=True,
                          text=True, check=True, cwd=ROOT, timeout=60)
    return list(json.loads(done.stdout))


class Archive:
    """Hard links to every eve.json generation, so the agent's deletions keep them for us.

    A link shares the inode: Suricata's later appends are in it too, and the
    agent (which identifies files by path) does not notice it.
    """

    def __init__(self, log_dir: Path, into: Path) -> None:
        self.log_dir, self.into = log_dir, into
        into.mkdir()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            self.grab()

    def grab(self) -> None:
        for name in ("eve.json", "eve.json.1"):
            try:
                inode = (self.log_dir / name).stat().st_ino
                os.link(self.log_dir / name, self.into / str(inode))
            except OSError:
                pass  # absent, or already linked

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.grab()


def _written(archive: Path) -> collections.Counter[tuple[Any, ...]]:
    """Every alert Suricata wrote, over every eve.json generation."""
    found: collections.Counter[tuple[Any, ...]] = collections.Counter()
    for path in archive.iterdir():
        for line in path.read_bytes().splitlines():
            start = line.rfind(b'{"timestamp":')
            try:
                record = json.loads(line[max(start, 0):])
            except ValueError:
                continue
            if record.get("event_type") == "alert":
                found[_key(record)] += 1
    return found


def _key(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["timestamp"], record.get("flow_id"), record["alert"]["signature_id"],
            record.get("tx_id"))


def _suricata_pid(config: Path) -> int | None:
    pids = suricata_pids(config)
    return pids[0] if pids else None


def test_alerts_survive_agent_and_suricata_kills(pair: Pair, tmp_path: Path) -> None:
    collector_toml = tmp_path / "collector.toml"
    admin_token = tmp_path / "admin.token"
    admin_token.write_text(ADMIN_TOKEN + "\n")
    collector_toml.write_text(f'database_url = "sqlite:///{tmp_path / "collector.sqlite"}"\n'
                              f'admin_token_file = "{admin_token}"\n')
    token = enroll(load_config(collector_toml), "pi-live", "tanaka-kogyo")
    procs: list[subprocess.Popen[bytes]] = []
    stop_file = tmp_path / "stop-client"
    log_dir = tmp_path / "agent" / "suricata" / "log"
    socket = tmp_path / "agent" / "suricata" / "suricata.socket"
    suricata_yaml = tmp_path / "agent" / "suricata" / "suricata.yaml"
    agent_cmd = in_ns(pair.ns_a, YAMORI, "agent", "run", "--drain-timeout", "60", "--config",
                      str(_agent_config(tmp_path, pair, token, eve_max=20_000)))
    agent: subprocess.Popen[bytes] | None = None
    archive = Archive(log_dir, tmp_path / "eve-archive")
    try:
        procs.append(_spawn(in_ns(pair.ns_b, sys.executable, "-m", "http.server",
                                  str(PORT), "--bind", pair.addr_b), tmp_path / "httpd.log"))
        procs.append(_spawn(in_ns(pair.ns_a, YAMORI, "collector", "serve", "--config",
                                  str(collector_toml), "--port", str(PORT)),
                            tmp_path / "collector.log"))
        agent = _spawn(agent_cmd, tmp_path / "agent.log")
        until(socket.exists, 120, "suricata to start")
        procs.append(_spawn(in_ns(pair.ns_a, sys.executable, "-c", CLIENT,
                                  f"http://{pair.addr_b}:{PORT}", str(stop_file), "0.02"),
                            tmp_path / "client.log"))
        until(lambda: sum(_written(archive.into).values()) >= 50, 60, "first alerts")
        agent.kill()  # SIGKILL: no cleanup, no final commit
        agent.wait()
        until(lambda: _suricata_pid(suricata_yaml) is None, 60, "orphan suricata to exit")
        agent = _spawn(agent_cmd, tmp_path / "agent.log")
        until(lambda: socket.exists(), 120, "suricata after agent restart")
        seen = sum(_written(archive.into).values())
        until(lambda: sum(_written(archive.into).values()) >= seen + 50, 60, "alerts after restart")
        killed = _suricata_pid(suricata_yaml)
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        until(lambda: _suricata_pid(suricata_yaml) not in (None, killed), 60,
              "suricata restarted")
        seen = sum(_written(archive.into).values())
        until(lambda: sum(_written(archive.into).values()) >= seen + 50, 60, "alerts after kill")
        stop_file.touch()
        time.sleep(3.0)
        _stop(agent)  # SIGTERM: Suricata stops, the agent drains its queue
        assert agent.returncode == 0, "the agent did not drain its queue"
        written = _written(archive.into)
        stored = collections.Counter(_key(a) for a in _fetch(pair))
    finally:
        stop_file.touch()
        _stop(agent)
        archive.close()
        for proc in procs:
            _stop(proc)
    assert len(list(archive.into.iterdir())) >= 3, "eve.json was not rotated twice"
    assert sum(written.values()) >= 150
    assert stored == written


def test_rule_reload_without_restart(pair: Pair, tmp_path: Path) -> None:
    """The running Suricata takes a new ruleset through the socket; same pid after."""
    from agent.engines.base import EngineSettings
    from agent.engines.suricata import ruleset as rs
    from agent.engines.suricata.live import LiveOptions, LiveSuricata

    first = tmp_path / "r1"
    first.mkdir()
    (first / "a.rules").write_text(RULES)
    second = tmp_path / "r2"
    second.mkdir()
    (second / "a.rules").write_text(RULES + SECOND)
    # Capture on a veth end left in the root namespace: no address, no traffic out.
    outer = f"yo{os.getpid() % 10000}"
    subprocess.run(["ip", "-n", pair.ns_b, "link", "add", "yi" + outer[2:], "type", "veth",
                    "peer", "name", outer, "netns", "1"], check=True)
    subprocess.run(["ip", "link", "set", outer, "up"], check=True)
    live = LiveSuricata(EngineSettings(), LiveOptions(workdir=tmp_path / "w", interface=outer,
                                                      threads="1", stats_interval=1))
    try:
        assert live.prepare(rs.from_dir(first)).failed == []
        live.start()
        assert live.wait_ready(120)
        pid = live.supervisor.pid if live.supervisor else None
        result = live.reload(rs.from_dir(second))
        assert result.ok, result.message
        assert result.rules_loaded == 2 and result.duration > 0
        assert live.supervisor is not None and live.supervisor.pid == pid
    finally:
        live.stop()
        subprocess.run(["ip", "link", "del", outer], capture_output=True)
