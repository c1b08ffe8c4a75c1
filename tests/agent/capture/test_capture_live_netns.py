"""Live AF_PACKET capture on a veth pair whose far end lives in a test namespace.

Frames are injected inside the namespace the test created and arrive only on
the veth end the agent captures from (it has no IP address), so no traffic
leaves the test's own link. Needs root and iproute2; skipped otherwise.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.engines.base import EngineSettings, SourceSpec
from agent.engines.builtin import BuiltinEngine

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="live capture test needs root and iproute2 (ip netns, veth)")

MARKER = b"yamori-live-capture-marker"


def inject(ns: str, iface: str, count: int) -> None:
    """Send `count` UDP frames carrying MARKER out of `iface` inside `ns`."""
    script = (
        "from scapy.all import Ether, IP, UDP, Raw, sendp\n"
        f"f = Ether(dst='02:00:00:00:00:02')/IP(src='198.18.0.1', dst='198.18.0.2')"
        f"/UDP(sport=40000, dport=9999)/Raw({MARKER!r})\n"
        f"sendp([f] * {count}, iface={iface!r}, verbose=False)\n")
    subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script],
                   check=True, capture_output=True, timeout=60)


def test_builtin_engine_alerts_on_live_traffic(veth: tuple[str, str, str],
                                               tmp_path: Path) -> None:
    ns, outer, inner = veth
    rule_file = tmp_path / "live.rules"
    rule_file.write_text('alert udp any any -> any 9999 (msg:"live marker"; '
                         f'content:"{MARKER.decode()}"; sid:9100001; rev:1;)\n')
    engine = BuiltinEngine(EngineSettings())
    assert engine.load_rules([rule_file]).loaded == 1
    stop = threading.Event()
    alerts: list[dict] = []

    def capture() -> None:
        for record in engine.run(SourceSpec(interface=outer), should_stop=stop.is_set):
            alerts.append(record)
            if len(alerts) == 3:
                stop.set()

    worker = threading.Thread(target=capture)
    worker.start()
    try:
        time.sleep(0.5)  # let the capture thread open its socket
        inject(ns, inner, 3)
        worker.join(timeout=20)
    finally:
        stop.set()
        worker.join(timeout=5)
    assert not worker.is_alive(), "capture must stop when asked, even on an idle link"
    assert [a["alert"]["signature_id"] for a in alerts] == [9100001] * 3
    assert alerts[0]["src_ip"] == "198.18.0.1" and alerts[0]["dest_port"] == 9999


def test_capture_stops_on_an_idle_link(veth: tuple[str, str, str]) -> None:
    _, outer, _ = veth
    engine = BuiltinEngine(EngineSettings())
    stop = threading.Event()
    worker = threading.Thread(target=lambda: list(engine.run(SourceSpec(interface=outer),
                                                             should_stop=stop.is_set)))
    worker.start()
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
