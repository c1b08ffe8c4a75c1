"""[engine] eve_payload / eve_packet / eve_packet_max_bytes reach both engines, and the alerts
an agent uplinks reach the collector's alert detail with their packet dissected.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import wrpcap
from sqlalchemy import select

from agent.config import AgentConfig, load_agent_config
from agent.daemon import Agent, eve_options, live_options
from agent.engines.base import EngineSettings
from agent.engines.select import EngineChoice
from agent.engines.suricata.config import build_config
from agent.engines.suricata.discover import usable
from agent.engines.suricata.live import LiveSuricata
from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.models import Alert
from collector.testing import enroll, serve_in_thread, temp_config


def agent_config(tmp_path: Path, **engine: Any) -> AgentConfig:
    return load_agent_config(None, {
        "sensor": {"sensor_id": "pi-ev", "tenant": "tanaka-kogyo", "data_dir": str(tmp_path)},
        "capture": {"pcap": str(tmp_path / "office.pcap")},
        "engine": {"engine": "builtin", **engine},
        "uplink": {"token": "t"}, "metrics": {"enabled": False},
        "heartbeat": {"enabled": False}}, environ={})


def test_eve_options_follow_the_engine_section(tmp_path: Path) -> None:
    options = eve_options(agent_config(tmp_path, eve_payload=False, eve_packet_max_bytes=128))
    assert (options.payload, options.packet, options.max_bytes) == (False, True, 128)


def test_live_suricata_config_asks_for_evidence(tmp_path: Path) -> None:
    info = usable(None)
    if info is None or not Path("/etc/suricata/suricata.yaml").exists():
        pytest.skip("no usable suricata (>= 7.0) with its stock suricata.yaml")
    config = load_agent_config(None, {
        "sensor": {"data_dir": str(tmp_path)}, "capture": {"interface": "eth0"},
        "engine": {"eve_packet": False}, "suricata": {"memory_mb": 2048}}, environ={})
    live = LiveSuricata(EngineSettings(), live_options(config, EngineChoice("suricata", "suricata",
                                                                            "test", info)))
    doc = build_config(EngineSettings(), live._options(tmp_path / "rules", tmp_path / "log"))
    alert = doc["outputs"][0]["eve-log"]["types"][0]["alert"]
    assert (alert["payload"], alert["payload-printable"], alert["packet"]) == ("yes", "yes", "no")


def test_agent_alerts_arrive_with_their_packet_dissected(tmp_path: Path) -> None:
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    query = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
             / IP(src="192.168.1.23", dst="8.8.8.8") / UDP(sport=53000, dport=53)
             / DNS(rd=1, qd=DNSQR(qname="evil-c2.example")))
    wrpcap(str(tmp_path / "office.pcap"), [query])
    with serve_in_thread(temp_config(tmp_path)) as live:
        token = enroll(live.app, "pi-ev", "tanaka-kogyo")
        config = agent_config(tmp_path)
        config.uplink.url, config.uplink.token = live.url, token
        agent = Agent(config)
        try:
            summary = agent.run(threading.Event(), drain_timeout=20)
        finally:
            agent.close()
        assert summary.drained and len(summary.alert_ids) == 1
        live.app.dependency_overrides[current_user] = lambda: Principal("ana", "analyst")
        with live.app.state.collector.database.session() as session:
            feed_id = session.scalar(select(Alert.id))
        detail = requests.get(f"{live.url}/api/v1/alerts/{feed_id}", timeout=30).json()
    assert detail["eve"]["packet"] and detail["eve"]["packet_info"] == {"linktype": 1}
    names = [f["value"] for layer in detail["packet"]["layers"] for f in layer["fields"]
             if f["name"] == "dns.qry.name"]
    assert names == ["evil-c2.example"]
    assert detail["rule"]["known"] and detail["rule"]["sid"] == 1000003
