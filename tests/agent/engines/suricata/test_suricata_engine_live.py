"""SuricataEngine.run(interface=…) goes through LiveSuricata, the one live implementation.

A veth pair whose far end lives in a test namespace; frames injected there
reach only the end Suricata captures. Needs root, iproute2 and Suricata >= 7.0.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.engines.base import EngineSettings, SourceSpec
from agent.engines.suricata.discover import usable
from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("ip") is None,
                       reason="needs root and iproute2 (ip netns, veth)"),
    pytest.mark.skipif(usable() is None, reason="Suricata >= 7.0 is not installed"),
]

MARKER = "yamori-engine-live-marker"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def veth() -> Iterator[tuple[str, str, str]]:
    tag = f"{os.getpid() % 100000}"
    ns, outer, inner = f"yse-ns{tag}", f"ysec{tag}", f"ysen{tag}"
    ip("netns", "add", ns)
    try:
        ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        ip("link", "set", inner, "netns", ns)
        ip("link", "set", outer, "up")
        ip("-n", ns, "link", "set", inner, "up")
        yield ns, outer, inner
    finally:
        subprocess.run(["ip", "link", "del", outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def inject(ns: str, iface: str, count: int) -> None:
    script = ("from scapy.all import Ether, IP, UDP, Raw, sendp\n"
              "f = Ether(dst='02:00:00:00:00:02')/IP(src='198.18.0.1', dst='198.18.0.2')"
              f"/UDP(sport=40000, dport=9999)/Raw({MARKER.encode()!r})\n"
              f"sendp([f] * {count}, iface={iface!r}, verbose=False)\n")
    subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script],
                   check=True, capture_output=True, timeout=60)


def test_live_run_yields_alerts_through_live_suricata(veth: tuple[str, str, str],
                                                      tmp_path: Path) -> None:
    ns, outer, inner = veth
    rules = tmp_path / "live.rules"
    rules.write_text(f'alert udp any any -> any 9999 (msg:"engine live"; content:"{MARKER}"; '
                     'sid:9100002; rev:1;)\n')
    engine = SuricataEngine(EngineSettings(), SuricataEngineOptions(workdir=tmp_path / "w"))
    assert engine.load_rules([rules]).loaded == 1
    stop = threading.Event()
    alerts: list[dict] = []

    def capture() -> None:
        for record in engine.run(SourceSpec(interface=outer), should_stop=stop.is_set):
            alerts.append(record)

    thread = threading.Thread(target=capture)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while engine.live is None or not engine.live.wait_ready(1.0):
            assert time.monotonic() < deadline, "suricata did not start"
        while not alerts and time.monotonic() < deadline:
            inject(ns, inner, 3)
            time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=120)
        engine.close()
    assert alerts and alerts[0]["alert"]["signature_id"] == 9100002
    assert engine.live is not None and engine.live.eve.parent.parent == tmp_path / "w" / "live"
