"""The Alert record and its Suricata EVE-JSON `alert` rendering.

Owns what an alert remembers (rule, packet fields, flow counters at alert
time) and `alert_to_eve()`, which follows Suricata 7's eve.json alert shape,
including the evidence Suricata's eve-log alert options add when enabled
(`payload`, `payload_printable`, `packet`, `packet_info.linktype`, see
output-json-alert.c AlertAddPayload and output-json.c EvePacket), and
`cap_evidence()`, which bounds that evidence in any EVE alert (Suricata's too).
It does not add yamori's sensor fields (the agent does) and does not write
files.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agent.decode.packet import LINKTYPE_RAW, Packet
from agent.detect.rule import Rule

# Suricata prints getprotobynumber() names; others as the number.
PROTO_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "IPv6-ICMP", 132: "SCTP", 47: "GRE"}

# Suricata logs the datalink libpcap reports, and libpcap hands LINKTYPE_RAW
# (101) files over as DLT_RAW, which is 12 on Linux; other link types keep
# their number.
_DATALINK = {LINKTYPE_RAW: 12}

# PrintStringsToBuffer: isprint() bytes, CR and LF are kept, the rest become '.'.
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F or b in (0x0A, 0x0D) else 0x2E for b in range(256))


@dataclass(slots=True, frozen=True)
class EveOptions:
    """Which evidence an alert record carries, as Suricata's eve-log alert options.

    `payload` is Suricata's `payload` + `payload-printable`, `packet` its
    `packet` (with `packet_info.linktype`). `max_bytes` caps each of them
    (0: no cap), as EvePacket's max_length does. The defaults are Suricata's:
    no evidence, so replay output has the same fields as Suricata's own.
    """

    payload: bool = False
    packet: bool = False
    max_bytes: int = 0


NO_EVIDENCE = EveOptions()


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


def payload_printable(data: bytes) -> str:
    """Suricata's `payload_printable`: printable ASCII, CR and LF as they are, others '.'."""
    return data.translate(_PRINTABLE).decode("ascii")


def suricata_linktype(linktype: int) -> int:
    """The `packet_info.linktype` Suricata would log for a frame of this pcap link type."""
    return _DATALINK.get(linktype, linktype)


def _capped(data: bytes, max_bytes: int) -> bytes:
    return data[:max_bytes] if max_bytes > 0 else data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _evidence(pkt: Packet, options: EveOptions) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if options.payload:
        payload = _capped(pkt.payload, options.max_bytes)
        fields["payload"] = _b64(payload)
        fields["payload_printable"] = payload_printable(payload)
    if options.packet:
        fields["packet"] = _b64(_capped(pkt.raw, options.max_bytes))
        fields["packet_info"] = {"linktype": suricata_linktype(pkt.linktype)}
    return fields


def cap_evidence(record: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Cut `payload`, `payload_printable` and `packet` of an EVE alert to `max_bytes` each.

    For records an engine wrote with its own (uncapped) evidence, as Suricata
    does; the record is changed in place and returned. A field that is not
    valid base64 is left as it is: the collector reports it as undecodable.
    """
    if max_bytes <= 0:
        return record
    for name in ("payload", "packet"):
        text = record.get(name)
        if isinstance(text, str) and len(text) > 4 * ((max_bytes + 2) // 3):
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                continue
            record[name] = _b64(data[:max_bytes])
    printable = record.get("payload_printable")
    if isinstance(printable, str) and len(printable) > max_bytes:
        record["payload_printable"] = printable[:max_bytes]
    return record


def alert_to_eve(alert: Alert, options: EveOptions = NO_EVIDENCE) -> dict[str, Any]:
    """The Suricata EVE `alert` record for one alert, with the evidence `options` ask for."""
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
    rec.update(_evidence(pkt, options))
    return rec
