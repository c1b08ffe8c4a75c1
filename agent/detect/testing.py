"""Helpers to build hand-filled Packets, Flows and single rules: for tests and tools.

Owns nothing the engine uses at run time; it exists so tests (which run with
pytest import-mode=importlib, without shared helper modules) and ad-hoc tools
can make detection inputs without a decoder.
"""

from __future__ import annotations

import ipaddress

from agent.decode.packet import ICMPHeader, IPv4Header, Packet, TCPHeader, UDPHeader
from agent.detect.classification import load_classifications
from agent.detect.parse import ParseContext, parse_rule
from agent.detect.rule import Rule
from agent.detect.vars import DEFAULT_ADDRESS_VARS, DEFAULT_PORT_VARS
from agent.flow.flow import Flow

CTX = ParseContext(dict(DEFAULT_ADDRESS_VARS), dict(DEFAULT_PORT_VARS), load_classifications())


def rule(text: str) -> Rule:
    return parse_rule(text, CTX)


def ip4(ttl: int = 64, proto: int = 6) -> IPv4Header:
    return IPv4Header(20, 0, 0, 1, 0, 0, ttl, proto, 0)


def packet(payload: bytes = b"", *, proto: int = 6, src: str = "10.0.0.1",
           dst: str = "8.8.8.8", sp: int = 1234, dp: int = 80, flow: Flow | None = None,
           to_server: bool = True, established: bool = False, ts: float = 1714557600.123456,
           ttl: int = 64) -> Packet:
    pkt = Packet(ts=ts, raw=b"", pcap_cnt=7)
    pkt.ip_version = 4
    pkt.src_ip, pkt.dst_ip = src, dst
    pkt.src_addr, pkt.dst_addr = int(ipaddress.ip_address(src)), int(ipaddress.ip_address(dst))
    pkt.ip4 = ip4(ttl, proto)
    pkt.proto = proto
    if proto == 6:
        pkt.sp, pkt.dp = sp, dp
        pkt.tcp = TCPHeader(sp, dp, 0, 0, 20, 0x18, 1024, 0, 0, b"")
    elif proto == 17:
        pkt.sp, pkt.dp = sp, dp
        pkt.udp = UDPHeader(sp, dp, 8 + len(payload), 0)
    elif proto == 1:
        pkt.icmp = ICMPHeader(8, 0, 0, 0, False)
    pkt.payload = payload
    pkt.flow, pkt.to_server, pkt.established = flow, to_server, established
    return pkt


def make_flow(proto: int = 6) -> Flow:
    return Flow(flow_id=42, proto=proto, client_ip="10.0.0.1", client_port=1234,
                server_ip="8.8.8.8", server_port=80, start_ts=1714557600.0,
                last_ts=1714557600.0, pkts_toserver=1, bytes_toserver=60)
