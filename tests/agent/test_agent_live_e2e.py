"""The appliance end to end on live traffic, builtin engine, with only capture capabilities.

Two ends of a veth pair: the agent (`yamori agent run`, builtin engine, its own
TPACKET ring) captures on the outer end; the demo's attack traffic is sent from
a network namespace the test created, so nothing leaves the test's own link.
The agent runs under setpriv with the capability bounding set reduced to
CAP_NET_RAW and CAP_NET_ADMIN — as the unprivileged `nobody` user when this
machine's Python is reachable for it, else as uid 0 without any other
capability (this sandbox's Python lives under /root). The exact expected
alerts must reach a real collector, with zero kernel drops.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from collector.testing import ADMIN_TOKEN, enroll, serve_in_thread, temp_config
from yamori import demo
from yamori.demo_capture import EXPECTED, write_demo_capture

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("setpriv"),
    reason="needs root, iproute2 and setpriv to build the namespace and drop capabilities")

CAPS = "+net_raw,+net_admin"
NOBODY = 65534


def privileges() -> list[str]:
    """setpriv arguments: nobody with capture caps if it can run our Python, else uid 0."""
    drop = [f"--bounding-set=-all,{CAPS}", f"--inh-caps=-all,{CAPS}",
            f"--ambient-caps=-all,{CAPS}"]
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *drop]
    probe = subprocess.run([*as_nobody, sys.executable, "-c", "import agent"],
                           capture_output=True, cwd="/")
    return as_nobody if probe.returncode == 0 else ["setpriv", *drop]


def test_live_attack_traffic_reaches_the_collector(veth: tuple[str, str, str],
                                                   tmp_path: Path) -> None:
    ns, outer, inner = veth
    work = Path(f"/tmp/yamori-live-e2e-{os.getpid()}")
    work.mkdir(mode=0o755, exist_ok=True)
    os.chown(work, NOBODY, NOBODY)
    pcap = tmp_path / "demo.pcap"
    write_demo_capture(pcap)
    metrics_port = demo.free_port("127.0.0.1")
    try:
        with serve_in_thread(temp_config(tmp_path, admin_token=ADMIN_TOKEN)) as live:
            token = enroll(live.app, sensor_id="live-1")
            config = work / "agent.toml"
            config.write_text(f"""
[sensor]
sensor_id = "live-1"
data_dir = "{work / 'data'}"
[capture]
interface = "{outer}"
[engine]
engine = "builtin"
[uplink]
url = "{live.url}"
token = "{token}"
[metrics]
port = {metrics_port}
""")
            os.chown(config, NOBODY, NOBODY)
            agent = subprocess.Popen([*privileges(), sys.executable, "-m", "yamori.cli", "agent",
                                      "run", "--config", str(config)], cwd="/")
            try:
                metrics = f"http://127.0.0.1:{metrics_port}/metrics"
                wait_until(lambda: _get(metrics) is not None, 30)
                subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c",
                                "import sys; from scapy.all import rdpcap, sendp; "
                                "sendp(rdpcap(sys.argv[1]), iface=sys.argv[2], verbose=False)",
                                str(pcap), inner], check=True, capture_output=True, timeout=120)
                wait_until(lambda: len(demo.fetch_alerts(live.url, ADMIN_TOKEN))
                           >= len(EXPECTED), 30)
                time.sleep(1)  # anything extra would have arrived by now
                stored = demo.fetch_alerts(live.url, ADMIN_TOKEN)
                # The agent's raised ids are not visible from outside: exactness is
                # checked as "each expected alert stored once, nothing else stored".
                verdict = demo.verify([a["alert_id"] for a in stored], stored, EXPECTED)
                assert verdict.problems == []
                assert len(stored) == len(EXPECTED)
                scrape = _get(metrics) or ""
                drops = re.search(r"^yamori_agent_engine_capture_kernel_drops (\S+)$", scrape, re.M)
                assert drops and float(drops.group(1)) == 0.0
            finally:
                agent.send_signal(signal.SIGTERM)
                assert agent.wait(timeout=30) == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _get(url: str) -> str | None:
    try:
        return requests.get(url, timeout=2).text
    except requests.RequestException:
        return None


def wait_until(check, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.2)
