"""Checksum helpers, checked against scapy-computed checksums in both directions."""

from __future__ import annotations

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether

from agent.decode import decode_packet
from agent.decode.checksum import ipv4_checksum_ok, l4_checksum_ok
from agent.decode.packet import Packet


def _pkt(frame: object) -> Packet:
    return decode_packet(Packet(ts=0.0, raw=bytes(frame)))  # type: ignore[call-overload]


def test_valid_checksums() -> None:
    for l4 in (TCP(sport=5, dport=80) / b"abc", UDP(sport=5, dport=53) / b"q", ICMP() / b"ping"):
        pkt = _pkt(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / l4)
        assert ipv4_checksum_ok(pkt) and l4_checksum_ok(pkt)


def test_valid_checksums_ipv6() -> None:
    for l4 in (TCP() / b"abcde", UDP() / b"x", ICMPv6EchoRequest(data=b"hi")):
        assert l4_checksum_ok(_pkt(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / l4))


def test_bad_ip_checksum() -> None:
    pkt = _pkt(Ether() / IP(chksum=0x1234) / UDP())
    assert not ipv4_checksum_ok(pkt) and l4_checksum_ok(pkt)


def test_bad_tcp_checksum() -> None:
    assert not l4_checksum_ok(_pkt(Ether() / IP() / TCP(chksum=0xBEEF) / b"data"))


def test_udp_zero_checksum_is_valid_on_v4_only() -> None:
    assert l4_checksum_ok(_pkt(Ether() / IP() / UDP(chksum=0) / b"x"))
    assert not l4_checksum_ok(_pkt(Ether() / IPv6() / UDP(chksum=0) / b"x"))


def test_no_transport_layer() -> None:
    assert not l4_checksum_ok(Packet(ts=0.0, raw=b""))
