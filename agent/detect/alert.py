"""The Alert record and its Suricata EVE-JSON `alert` rendering.

Owns what an alert remembers (rule, packet fields, flow counters at alert
time) and `alert_to_eve()`, which follows Suricata 7's eve.json alert shape.
It does not add yamori's sensor fields (the agent does) and does not write
files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.decode.packet import Packet
from agent.detect.rule import Rule

# Suricata prints getprotobynumber() names; others as the number.
PROTO_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP", 132: "SCTP", 47: "GRE"}


@dataclass(slots=True, frozen=True)
class FlowSnapshot:
    flow_id: int
    pkts_toserver: int
    pkts_toclient: int
    bytes_toserver: int
    bytes_toclient: int
    start_ts: float
    client_ip: str
    server_ip: str
    client_port: int
    server_port: int
    app_proto: str | None


@dataclass(slots=True, frozen=True)
class Alert:
    rule: Rule
    packet: Packet
    timestamp: float
    flow: FlowSnapshot | None


def make_alert(rule: Rule, pkt: Packet) -> Alert:
    """Build an alert, copying the flow counters as they are now."""
    f = pkt.flow
    snap = None if f is None else FlowSnapshot(
        f.flow_id, f.pkts_toserver, f.pkts_toclient, f.bytes_toserver, f.bytes_toclient,
        f.start_ts, f.client_ip, f.server_ip, f.client_port, f.server_port, f.app_proto)
    return Alert(rule, pkt, pkt.ts, snap)


def eve_timestamp(ts: float) -> str:
    """Suricata's timestamp format, in UTC: 2024-05-01T10:00:00.123456+0000."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def _has_ports(proto: int) -> bool:
    return proto in (6, 17, 132)


def _alert_object(rule: Rule) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "action": "allowed", "gid": rule.gid, "signature_id": rule.sid, "rev": rule.rev,
        "signature": rule.msg, "category": rule.category, "severity": rule.priority,
    }
    if rule.metadata:
        obj["metadata"] = {k: list(v) for k, v in rule.metadata.items()}
    return obj


def _flow_object(snap: FlowSnapshot, proto: int) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "pkts_toserver": snap.pkts_toserver, "pkts_toclient": snap.pkts_toclient,
        "bytes_toserver": snap.bytes_toserver, "bytes_toclient": snap.bytes_toclient,
        "start": eve_timestamp(snap.start_ts), "src_ip": snap.client_ip,
        "dest_ip": snap.server_ip,
    }
    if _has_ports(proto):
        obj["src_port"], obj["dest_port"] = snap.client_port, snap.server_port
    return obj


def alert_to_eve(alert: Alert) -> dict[str, Any]:
    """The Suricata EVE `alert` record for one alert."""
    pkt = alert.packet
    rec: dict[str, Any] = {"timestamp": eve_timestamp(alert.timestamp)}
    if alert.flow is not None:
        rec["flow_id"] = alert.flow.flow_id
    if pkt.pcap_cnt:
        rec["pcap_cnt"] = pkt.pcap_cnt
    rec["event_type"] = "alert"
    rec["src_ip"] = pkt.src_ip
    if _has_ports(pkt.proto):
        rec["src_port"] = pkt.sp
    rec["dest_ip"] = pkt.dst_ip
    if _has_ports(pkt.proto):
        rec["dest_port"] = pkt.dp
    rec["proto"] = PROTO_NAMES.get(pkt.proto, str(pkt.proto))
    rec["ip_v"] = pkt.ip_version  # newer Suricata EVE field; harmless for 7.x readers
    if pkt.icmp is not None:
        rec["icmp_type"], rec["icmp_code"] = pkt.icmp.type, pkt.icmp.code
    rec["pkt_src"] = "wire/pcap"
    # Newer Suricata marks alerts raised on reassembled stream data; ours never are.
    rec["stream"] = 0
    if alert.flow is not None:
        rec["direction"] = "to_server" if pkt.to_server else "to_client"
    rec["alert"] = _alert_object(alert.rule)
    if alert.flow is not None:
        if alert.flow.app_proto:
            rec["app_proto"] = alert.flow.app_proto
        rec["flow"] = _flow_object(alert.flow, pkt.proto)
    return rec
