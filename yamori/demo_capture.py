"""The demo's attack capture, generated with scapy, and what it must raise.

One small office (192.168.10.0/24, inside the default HOME_NET) sees, within a
few seconds at 02:13 JST: a TCP SYN port scan from outside, an HTTP request
with sqlmap's User-Agent, a DNS query for a C2 domain, a TLS ClientHello with a
phishing SNI and a shell injection in a URI — plus ordinary traffic that must
raise nothing. This module writes packets; it never decides alerts: the
engine does, and `EXPECTED` only says what a correct engine must raise.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from scapy.layers.dns import DNS, DNSQR, DNSRR
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet
from scapy.utils import wrpcap

ATTACKER = "203.0.113.66"  # TEST-NET-3: never a real host
NAS = "192.168.10.5"  # the office's NAS with a web admin page
PC = "192.168.10.23"  # an office PC
ROUTER = "192.168.10.1"  # the office router, also its DNS resolver
WEB = "198.51.100.10"  # an ordinary website (TEST-NET-2)
PHISH = "198.51.100.77"  # the phishing host behind login-micros0ft.example

START = datetime(2026, 11, 21, 17, 13, 0, tzinfo=UTC).timestamp()  # 02:13 JST
SCAN_PORTS = range(20, 120)
SCAN_SPORT = 40000


@dataclass(frozen=True, slots=True)
class ExpectedAlert:
    sid: int
    src_ip: str
    src_port: int
    dest_ip: str
    dest_port: int
    proto: str


EXPECTED: tuple[ExpectedAlert, ...] = (
    # threshold "type both, count 20": the 20th SYN of the scan raises it.
    ExpectedAlert(1000001, ATTACKER, SCAN_SPORT, NAS, SCAN_PORTS[19], "TCP"),
    ExpectedAlert(1000002, ATTACKER, 41234, NAS, 80, "TCP"),
    ExpectedAlert(1000003, PC, 53211, ROUTER, 53, "UDP"),
    ExpectedAlert(1000004, PC, 50432, PHISH, 443, "TCP"),
    ExpectedAlert(1000005, ATTACKER, 41240, NAS, 80, "TCP"),
)


class _Clock:
    """Hands out packet timestamps a few milliseconds apart."""

    def __init__(self, start: float) -> None:
        self.now = start

    def stamp(self, pkt: Packet, gap: float = 0.002) -> Packet:
        self.now += gap
        pkt.time = self.now
        return pkt


def _eth(src_ip: str) -> Ether:
    inside = src_ip.startswith("192.168.10.")
    return Ether(src="02:00:00:00:10:17" if inside else "02:00:00:00:00:01",
                 dst="02:00:00:00:00:01" if inside else "02:00:00:00:10:17")


def tcp_session(clock: _Clock, client: str, cport: int, server: str, sport: int,
                request: bytes, response: bytes) -> list[Packet]:
    """A complete TCP conversation: handshake, one request, one response, close."""
    c_seq, s_seq = 1000, 5000

    def c(flags: str, payload: bytes = b"") -> Packet:
        return _eth(client) / IP(src=client, dst=server) / TCP(
            sport=cport, dport=sport, flags=flags, seq=c_seq, ack=s_seq) / payload

    def s(flags: str, payload: bytes = b"") -> Packet:
        return _eth(server) / IP(src=server, dst=client) / TCP(
            sport=sport, dport=cport, flags=flags, seq=s_seq, ack=c_seq) / payload

    pkts = [_eth(client) / IP(src=client, dst=server) / TCP(sport=cport, dport=sport,
                                                            flags="S", seq=c_seq - 1)]
    pkts.append(_eth(server) / IP(src=server, dst=client) / TCP(
        sport=sport, dport=cport, flags="SA", seq=s_seq - 1, ack=c_seq))
    pkts.append(c("A"))
    pkts.append(c("PA", request))
    c_seq += len(request)
    pkts.append(s("A"))
    pkts.append(s("PA", response))
    s_seq += len(response)
    pkts.append(c("FA"))
    c_seq += 1
    pkts.append(s("FA"))
    s_seq += 1
    pkts.append(c("A"))
    return [clock.stamp(p) for p in pkts]


def port_scan(clock: _Clock) -> list[Packet]:
    """SYNs to 100 ports; closed ports answer RST, port 80 answers SYN/ACK."""
    pkts: list[Packet] = []
    for port in SCAN_PORTS:
        pkts.append(clock.stamp(_eth(ATTACKER) / IP(src=ATTACKER, dst=NAS) / TCP(
            sport=SCAN_SPORT, dport=port, flags="S", seq=7777), gap=0.001))
        flags = "SA" if port == 80 else "RA"
        pkts.append(clock.stamp(_eth(NAS) / IP(src=NAS, dst=ATTACKER) / TCP(
            sport=port, dport=SCAN_SPORT, flags=flags, seq=0, ack=7778), gap=0.0002))
    return pkts


def dns_exchange(clock: _Clock, sport: int, name: str, answer: str) -> list[Packet]:
    query = _eth(PC) / IP(src=PC, dst=ROUTER) / UDP(sport=sport, dport=53) / DNS(
        id=sport & 0xFFFF, rd=1, qd=DNSQR(qname=name))
    reply = _eth(ROUTER) / IP(src=ROUTER, dst=PC) / UDP(sport=53, dport=sport) / DNS(
        id=sport & 0xFFFF, qr=1, rd=1, ra=1, qd=DNSQR(qname=name),
        an=DNSRR(rrname=name, rdata=answer, ttl=300))
    return [clock.stamp(query), clock.stamp(reply)]


def http_get(path: str, host: str, user_agent: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n").encode()


HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"


def client_hello(sni: str) -> bytes:
    """A minimal TLS 1.2 ClientHello carrying one server_name extension.

    Built by hand rather than with scapy's TLS layer, which needs a crypto
    backend just to serialise a hello and randomises its fields.
    """
    name = sni.encode()
    server_name_list = struct.pack("!BH", 0, len(name)) + name  # host_name(0), length, name
    sni_ext = struct.pack("!HHH", 0x0000, len(server_name_list) + 2, len(server_name_list))
    extensions = sni_ext + server_name_list
    body = (b"\x03\x03" + bytes(32)  # client_version TLS 1.2, random
            + b"\x00"  # empty session id
            + struct.pack("!H", 4) + b"\xc0\x2f\x00\x9c"  # two cipher suites
            + b"\x01\x00"  # compression methods: null
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body  # ClientHello(1)
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake  # handshake record


def demo_packets() -> list[Packet]:
    clock = _Clock(START)
    pkts: list[Packet] = []
    # Ordinary traffic first: it must raise nothing.
    pkts += dns_exchange(clock, 53100, "www.example.com", WEB)
    pkts += tcp_session(clock, PC, 50100, WEB, 80,
                        http_get("/", "www.example.com", "Mozilla/5.0 (Windows NT 10.0)"), HTTP_OK)
    pkts += port_scan(clock)
    pkts += tcp_session(clock, ATTACKER, 41234, NAS, 80,
                        http_get("/index.php?id=1", NAS, "sqlmap/1.7.2#stable (https://sqlmap.org)"),
                        HTTP_OK)
    pkts += dns_exchange(clock, 53211, "update.evil-c2.example", PHISH)
    pkts += tcp_session(clock, PC, 50432, PHISH, 443, client_hello("login-micros0ft.example"),
                        b"\x15\x03\x03\x00\x02\x02\x28")  # TLS alert: handshake failure
    pkts += tcp_session(clock, ATTACKER, 41240, NAS, 80,
                        http_get("/cgi-bin/ping.cgi?host=127.0.0.1;cat%20/etc/passwd", NAS,
                                 "curl/8.4.0"), HTTP_OK)
    return pkts


def write_demo_capture(path: Path) -> tuple[ExpectedAlert, ...]:
    """Write the demo pcap to `path`; return the alerts a correct engine raises on it."""
    wrpcap(str(path), demo_packets())
    return EXPECTED


def write_tick_capture(path: Path, seconds: int) -> Path:
    """One harmless UDP packet a second for `seconds`: a realtime replay of it keeps
    an agent running that long (used to exercise the agent as a service)."""
    frames: list[Packet] = []
    for i in range(seconds):
        frame = Ether() / IP(src=PC, dst=ROUTER) / UDP(sport=40000 + i, dport=9999) / b"tick"
        frame.time = START + i
        frames.append(frame)
    wrpcap(str(path), frames)
    return path
