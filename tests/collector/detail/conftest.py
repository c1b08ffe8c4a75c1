"""Fixtures for the alert detail tests: a collector on temporary SQLite, scapy-made frames,
and alerts carrying them sent through the real ingest path (POST /api/v1/batches).
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.tls.all import TLS, TLSClientHello
from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName
from scapy.packet import Raw
from sqlalchemy import select

from agent.detect.alert import payload_printable
from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.main import create_app
from collector.models import Alert
from collector.state import AppState
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH

ANALYST = Principal("night-shift", "analyst")
CLIENT_MAC, GATEWAY_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


@dataclass(slots=True, frozen=True)
class Frame:
    """A frame as the sensor saw it, and the application bytes inside it."""

    raw: bytes
    payload: bytes
    src: str
    dst: str
    sport: int
    dport: int
    proto: str


def _frame(pkt: Any, proto: str) -> Frame:
    ip, l4 = pkt[IP], pkt[IP].payload
    return Frame(bytes(pkt), bytes(l4.payload), ip.src, ip.dst, l4.sport, l4.dport, proto)


def http_get(src: str = "198.51.100.7", dst: str = "192.168.1.10") -> Frame:
    request = (b"GET /index.php?id=1 HTTP/1.1\r\nHost: nas.tanaka.example\r\n"
               b"User-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n")
    pkt = (Ether(src=GATEWAY_MAC, dst=CLIENT_MAC) / IP(src=src, dst=dst)
           / TCP(sport=40000, dport=80, flags="PA", seq=101, ack=501) / Raw(request))
    return _frame(pkt, "TCP")


def dns_query(src: str = "192.168.1.23", name: str = "evil-c2.example") -> Frame:
    pkt = (Ether(src=CLIENT_MAC, dst=GATEWAY_MAC) / IP(src=src, dst="8.8.8.8")
           / UDP(sport=53000, dport=53) / DNS(id=0x1234, rd=1, qd=DNSQR(qname=name)))
    return _frame(pkt, "UDP")


def tls_client_hello(src: str = "192.168.1.23", sni: bytes = b"login-micros0ft.example") -> Frame:
    hello = TLS(msg=[TLSClientHello(ext=[TLS_Ext_ServerName(
        servernames=[ServerName(servername=sni)])])])
    pkt = (Ether(src=CLIENT_MAC, dst=GATEWAY_MAC) / IP(src=src, dst="203.0.113.9")
           / TCP(sport=50000, dport=443, flags="PA", seq=101, ack=501) / Raw(bytes(hello)))
    return _frame(pkt, "TCP")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def evidence_alert(n: int, frame: Frame, sid: int, flow_id: int, **fields: Any) -> dict[str, Any]:
    """An EVE alert as Suricata writes it with payload, payload-printable and packet on."""
    record = sample_alert(
        n, flow_id=flow_id, src_ip=frame.src, src_port=frame.sport, dest_ip=frame.dst,
        dest_port=frame.dport, proto=frame.proto, payload=b64(frame.payload),
        payload_printable=payload_printable(frame.payload), stream=0, packet=b64(frame.raw),
        packet_info={"linktype": 1})
    record["alert"] = dict(record["alert"], signature_id=sid, rev=1)
    record.update(fields)
    return record


@dataclass(slots=True)
class Collector:
    """A collector app with a TestClient, and the ways these tests feed and ask it."""

    app: FastAPI
    client: TestClient

    def act_as(self, principal: Principal | None) -> None:
        """Requests run as `principal` (sessions are another module's), or as nobody."""
        if principal is None:
            self.app.dependency_overrides.pop(current_user, None)
        else:
            self.app.dependency_overrides[current_user] = lambda: principal

    def send(self, alerts: list[dict[str, Any]], sensor_id: str = "pi-001",
             tenant: str = "tanaka-kogyo") -> list[int]:
        """POST the alerts as `sensor_id` (enrolled on first use); their feed ids, in order."""
        token = self._token(sensor_id, tenant)
        answer = self.client.post(BATCHES_PATH, json=sample_batch(alerts, sensor_id=sensor_id),
                                  headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return [self.feed_id(a["alert_id"]) for a in alerts]

    def feed_id(self, alert_id: str) -> int:
        state: AppState = self.app.state.collector
        with state.database.session() as session:
            found = session.scalar(select(Alert.id).where(Alert.alert_id == alert_id))
        assert found is not None
        return int(found)

    def detail(self, feed_id: int) -> dict[str, Any]:
        answer = self.client.get(f"/api/v1/alerts/{feed_id}")
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def _token(self, sensor_id: str, tenant: str) -> str:
        tokens: dict[str, str] = self.app.state.test_tokens
        if sensor_id not in tokens:
            tokens[sensor_id] = enroll(self.app, sensor_id, tenant)
        return tokens[sensor_id]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    app = create_app(temp_config(tmp_path, rules_dir=str(tmp_path / "rulesets")))
    app.state.test_tokens = {}
    with TestClient(app) as client:
        found = Collector(app, client)
        found.act_as(ANALYST)
        yield found


@pytest.fixture
def tshark() -> str:
    path = shutil.which("tshark")
    if path is None:
        pytest.skip("tshark is not installed (Debian package tshark): no dissection to test")
    return path


@pytest.fixture
def frames() -> dict[str, Callable[..., Frame]]:
    """The scapy frame builders, by name."""
    return {"http": http_get, "dns": dns_query, "tls": tls_client_hello}


@pytest.fixture
def make_alert() -> Callable[..., dict[str, Any]]:
    return evidence_alert
