"""The triggering packet in EVE alerts: payload, payload_printable, packet, packet_info.

The builtin engine writes them as Suricata's eve-log alert options do when the
agent asks for them, and never by default (so `yamori replay` output keeps
Suricata's default fields). A real Suricata, when installed, is the reference.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.dns import DNS, DNSQR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

import rules
from agent.config import load_agent_config
from agent.detect.alert import (
    EveOptions,
    cap_evidence,
    payload_printable,
    suricata_linktype,
)
from agent.engines.base import EngineSettings, SourceSpec
from agent.engines.builtin import BuiltinEngine
from yamori.cli import main
from yamori.errors import ConfigError

EVIDENCE = ("payload", "payload_printable", "packet", "packet_info")
HTTP_REQUEST = (b"GET /index.php?id=1 HTTP/1.1\r\nHost: 192.168.1.10\r\n"
                b"User-Agent: sqlmap/1.7.2#stable (https://sqlmap.org)\r\n\r\n")


def tcp_session(client: str, server: str, sport: int, dport: int, data: bytes,
                t0: float) -> list[Any]:
    """Handshake, one request, the server's ACK of it (so Suricata inspects the stream)."""
    out, back = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02"), \
        Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    c, s = IP(src=client, dst=server), IP(src=server, dst=client)
    pkts = [out / c / TCP(sport=sport, dport=dport, flags="S", seq=100),
            back / s / TCP(sport=dport, dport=sport, flags="SA", seq=500, ack=101),
            out / c / TCP(sport=sport, dport=dport, flags="A", seq=101, ack=501),
            out / c / TCP(sport=sport, dport=dport, flags="PA", seq=101, ack=501) / Raw(data),
            back / s / TCP(sport=dport, dport=sport, flags="A", seq=501, ack=101 + len(data))]
    for n, pkt in enumerate(pkts):
        pkt.time = t0 + n * 0.01
    return pkts


def dns_query() -> Any:
    pkt = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
           / IP(src="192.168.1.23", dst="8.8.8.8") / UDP(sport=53000, dport=53)
           / DNS(id=0x1234, rd=1, qd=DNSQR(qname="evil-c2.example")))
    pkt.time = 1714497300.0
    return pkt


@pytest.fixture
def office_pcap(tmp_path: Path) -> tuple[Path, list[Any]]:
    """An sqlmap request to an office server and a DNS query for a C2 domain (rules/local)."""
    pkts = tcp_session("198.51.100.7", "192.168.1.10", 40000, 80, HTTP_REQUEST, 1714497181.0)
    pkts.append(dns_query())
    path = tmp_path / "office.pcap"
    wrpcap(str(path), pkts)
    return path, pkts


def run_builtin(pcap: Path, eve: EveOptions | None = None) -> dict[int, dict[str, Any]]:
    engine = BuiltinEngine(EngineSettings(), eve or EveOptions())
    engine.load_rules(rules.shipped_rule_files())
    return {r["alert"]["signature_id"]: r for r in engine.run(SourceSpec(pcap=pcap))}


def test_payload_printable_follows_suricata() -> None:
    # PrintStringsToBuffer: isprint() bytes, CR and LF kept; everything else '.'.
    data = bytes(range(256))
    want = "".join(chr(b) if 0x20 <= b <= 0x7E or b in (10, 13) else "." for b in data)
    assert payload_printable(data) == want
    assert payload_printable(b"") == ""


def test_raw_ip_linktype_is_logged_as_libpcap_reports_it() -> None:
    assert suricata_linktype(101) == 12  # LINKTYPE_RAW -> DLT_RAW
    assert suricata_linktype(1) == 1 and suricata_linktype(113) == 113


def test_builtin_alerts_carry_the_exact_packet_and_payload(
        office_pcap: tuple[Path, list[Any]]) -> None:
    path, pkts = office_pcap
    alerts = run_builtin(path, EveOptions(payload=True, packet=True))
    http, dns = alerts[1000002], alerts[1000003]
    assert base64.b64decode(http["packet"]) == bytes(pkts[3])
    assert base64.b64decode(http["payload"]) == HTTP_REQUEST
    assert http["payload_printable"] == HTTP_REQUEST.decode()
    assert base64.b64decode(dns["packet"]) == bytes(pkts[5])
    assert base64.b64decode(dns["payload"]) == bytes(pkts[5][UDP].payload)
    assert http["packet_info"] == dns["packet_info"] == {"linktype": 1}


def test_replay_defaults_carry_no_evidence(office_pcap: tuple[Path, list[Any]]) -> None:
    alerts = run_builtin(office_pcap[0])
    assert set(alerts) == {1000002, 1000003}
    assert all(not set(EVIDENCE) & set(record) for record in alerts.values())


def test_yamori_replay_output_has_no_evidence(office_pcap: tuple[Path, list[Any]],
                                              tmp_path: Path) -> None:
    out = tmp_path / "eve.json"
    rule_args = [word for f in rules.shipped_rule_files() for word in ("--rules", str(f))]
    assert main(["replay", "--engine", "builtin", "--pcap", str(office_pcap[0]), *rule_args,
                 "--eve", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 2 and all(not set(EVIDENCE) & set(r) for r in records)


def test_only_what_is_asked_for(office_pcap: tuple[Path, list[Any]]) -> None:
    payload_only = run_builtin(office_pcap[0], EveOptions(payload=True))[1000003]
    packet_only = run_builtin(office_pcap[0], EveOptions(packet=True))[1000003]
    assert "payload" in payload_only and "packet" not in payload_only
    assert "packet" in packet_only and "payload" not in packet_only


def test_evidence_is_cut_to_max_bytes(office_pcap: tuple[Path, list[Any]]) -> None:
    path, pkts = office_pcap
    http = run_builtin(path, EveOptions(payload=True, packet=True, max_bytes=64))[1000002]
    assert base64.b64decode(http["packet"]) == bytes(pkts[3])[:64]
    assert base64.b64decode(http["payload"]) == HTTP_REQUEST[:64]
    assert http["payload_printable"] == HTTP_REQUEST[:64].decode()


def test_raw_ip_capture_gives_ip_bytes_and_dlt_raw(tmp_path: Path) -> None:
    pkt = dns_query()[IP]
    path = tmp_path / "raw.pcap"
    wrpcap(str(path), [pkt], linktype=101)
    dns = run_builtin(path, EveOptions(packet=True))[1000003]
    assert base64.b64decode(dns["packet"]) == bytes(pkt)
    assert dns["packet_info"] == {"linktype": 12}


def test_cap_evidence_cuts_suricatas_fields() -> None:
    frame = bytes(range(256)) * 8
    record: dict[str, Any] = {"packet": base64.b64encode(frame).decode(), "payload": "not base64!",
              "payload_printable": "x" * 2048, "alert": {"signature_id": 1}}
    cap_evidence(record, 100)
    assert base64.b64decode(record["packet"]) == frame[:100]
    assert record["payload"] == "not base64!"  # left for the collector to call undecodable
    assert record["payload_printable"] == "x" * 100


def test_cap_evidence_leaves_small_fields_alone() -> None:
    record = {"packet": base64.b64encode(b"abc").decode(), "payload_printable": "abc"}
    assert cap_evidence(dict(record), 100) == record
    assert cap_evidence(dict(record), 0) == record


def test_agent_config_sends_evidence_by_default() -> None:
    engine = load_agent_config(None, {"capture": {"pcap": "x.pcap"}}, environ={}).engine
    assert engine.eve_payload and engine.eve_packet and engine.eve_packet_max_bytes == 16384


def test_agent_config_rejects_a_tiny_cap() -> None:
    with pytest.raises(ConfigError, match="engine.eve_packet_max_bytes"):
        load_agent_config(None, {"capture": {"pcap": "x.pcap"},
                                 "engine": {"eve_packet_max_bytes": 10}}, environ={})


@pytest.mark.skipif(shutil.which("suricata") is None, reason="suricata is not installed")
def test_builtin_evidence_equals_suricatas(office_pcap: tuple[Path, list[Any]],
                                           tmp_path: Path) -> None:
    from agent.engines.suricata.config import SuricataOptions, write_config
    from agent.engines.suricata.replay import pcap_command

    path = office_pcap[0]
    log_dir, settings = tmp_path / "suricata", EngineSettings()
    options = SuricataOptions(log_dir=log_dir, rule_files=rules.shipped_rule_files(),
                              eve_payload=True, eve_packet=True, memcaps=None)
    config = write_config(settings, options, tmp_path / "suricata.yaml")
    subprocess.run(pcap_command("suricata", config, path, log_dir, settings),
                   capture_output=True, check=True, timeout=120)
    records = [json.loads(line) for line in (log_dir / "eve.json").read_text().splitlines()]
    theirs = {r["alert"]["signature_id"]: r for r in records if r["event_type"] == "alert"}
    ours = run_builtin(path, EveOptions(payload=True, packet=True))
    assert set(theirs) == set(ours) == {1000002, 1000003}
    for sid, reference in theirs.items():
        # Suricata's payload of a stream match is the reassembled data; ours is the packet's,
        # the same bytes for a one-segment request.
        for key in ("payload", "payload_printable"):
            assert ours[sid][key] == reference[key], (sid, key)
        if reference["stream"] == 0:
            # A packet match: the very frame. (Stream matches fire on a later packet.)
            for key in ("packet", "packet_info"):
                assert ours[sid][key] == reference[key], (sid, key)
    assert theirs[1000003]["stream"] == 0
