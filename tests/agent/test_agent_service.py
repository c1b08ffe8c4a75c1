"""`yamori agent run` as a service: READY/WATCHDOG over sd_notify, metrics, SIGHUP, SIGTERM.

Runs the real command in a subprocess with NOTIFY_SOCKET pointing at a socket
the test listens on, as systemd would, on a live veth-free source: a pcap
replayed at recorded speed keeps the agent running long enough to poke it.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from collector.testing import enroll, serve_in_thread, temp_config
from yamori import demo
from yamori.demo_capture import write_tick_capture


@pytest.fixture
def notify_socket(tmp_path: Path):  # type: ignore[no-untyped-def]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(0.5)
    yield sock, str(path)
    sock.close()


def messages(sock: socket.socket, until: str, timeout: float) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
        if any(until in m for m in got):
            break
    return got


def test_agent_service_lifecycle(tmp_path: Path, notify_socket) -> None:  # type: ignore[no-untyped-def]
    sock, sock_path = notify_socket
    pcap = tmp_path / "slow.pcap"
    write_tick_capture(pcap, 40)
    metrics_port = demo.free_port("127.0.0.1")
    with serve_in_thread(temp_config(tmp_path)) as live:
        token = enroll(live.app, sensor_id="svc-1")
        config = tmp_path / "agent.toml"
        config.write_text(f"""
[sensor]
sensor_id = "svc-1"
data_dir = "{tmp_path / 'agent'}"
[capture]
pcap = "{pcap}"
realtime = true
[engine]
engine = "builtin"
[uplink]
url = "{live.url}"
token = "{token}"
[metrics]
port = {metrics_port}
""")
        env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="2000000",
                   WATCHDOG_PID="")
        proc = subprocess.Popen([sys.executable, "-m", "yamori.cli", "agent", "run",
                                 "--config", str(config)], env=env)
        try:
            ready = messages(sock, "READY=1", 30)
            assert any(m.startswith("READY=1") for m in ready), ready
            assert any("WATCHDOG=1" in m for m in messages(sock, "WATCHDOG=1", 10))
            scrape = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            assert "yamori_agent_queue_depth" in scrape
            assert "yamori_agent_engine_info" in scrape
            assert "yamori_agent_engine_decoder_pkts" in scrape
            assert "yamori_agent_engine_flow_active" in scrape
            assert "process_resident_memory_bytes" in scrape
            assert "yamori_agent_rules_loaded 5.0" in scrape  # rules/local/yamori.rules
            assert 'yamori_agent_rules_info{version="sha256:' in scrape
            assert "yamori_agent_engine_detect_seconds_per_packet" in scrape
            assert "yamori_agent_data_dir_free_bytes" in scrape
            # SIGHUP: the config file now selects another rule file; capture goes on.
            extra = tmp_path / "extra.rules"
            extra.write_text('alert udp any any -> any 9999 (msg:"tick"; content:"tick"; '
                             'sid:9200001; rev:1;)\n')
            config.write_text(config.read_text().replace(
                'engine = "builtin"', f'engine = "builtin"\nrules = ["{extra}"]'))
            proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 15
            while "yamori_agent_rules_loaded 1.0" not in scrape and time.monotonic() < deadline:
                time.sleep(0.3)
                scrape = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
            assert "yamori_agent_rules_loaded 1.0" in scrape
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert any("STOPPING=1" in m for m in messages(sock, "STOPPING=1", 5))
        finally:
            if proc.poll() is None:
                proc.kill()
