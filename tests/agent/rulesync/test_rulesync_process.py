"""`yamori agent run` as a real process takes an offered bundle from its heartbeat answer.

The loopback stand-in collector answers every heartbeat with the offer and a
one-second interval; the agent replays a pcap at recorded speed meanwhile.
The heartbeats it sends must then report the new bundle running, without the
capture having stopped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

ALPHA = 'alert udp any any -> any 9999 (msg:"alpha"; content:"ALPHA"; sid:3000001; rev:1;)'
VERSION = "2026.11.22.1"


def test_agent_process_updates_its_rules_from_a_heartbeat_answer(kit: Any) -> None:
    pcap = kit.pcap([("10.0.0.5", b"ALPHA")] * 1000)  # 10 s at recorded speed
    offer = kit.offer(kit.bundle(VERSION, [ALPHA]), VERSION)
    kit.server.answer = {"server_time": "2026-11-22T10:00:00Z", "next_interval": 1,
                         "ruleset": offer.model_dump(mode="json")}
    config = kit.tmp / "agent.toml"
    config.write_text(f"""
[sensor]
sensor_id = "pi-test"
data_dir = "{kit.tmp / 'agent'}"
[capture]
pcap = "{pcap}"
realtime = true
[engine]
engine = "builtin"
[uplink]
url = "{kit.server.url}"
token = "sensor-token"
[metrics]
enabled = false
[heartbeat]
interval = 1
[rules]
vendor_keys = ["{kit.pub}"]
""")
    proc = subprocess.Popen([sys.executable, "-m", "yamori.cli", "agent", "run",
                             "--config", str(config)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
                (hb.get("ruleset") or {}).get("state") == "ok" for hb in kit.server.heartbeats):
            time.sleep(0.2)
        assert proc.poll() is None  # capture goes on
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    done = [hb for hb in kit.server.heartbeats if (hb.get("ruleset") or {}).get("state") == "ok"]
    assert done, kit.server.heartbeats[-1:]
    assert done[0]["ruleset"]["running"] == done[0]["rules_version"] == VERSION
    assert done[0]["ruleset"]["rules_loaded"] == 1
    assert kit.server.downloads(offer.url) == 1
    assert kit.server.heartbeats[0]["rules_version"].startswith("sha256:")
