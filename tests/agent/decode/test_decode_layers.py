"""Literal-byte tests, one per layer behaviour (bytes annotated as in Suricata's tests)."""

from __future__ import annotations

from agent.decode import decode_packet
from agent.decode.events import DecodeEvent
from agent.decode.packet import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_NULL,
    LINKTYPE_RAW,
    Packet,
)

ETH_V4 = bytes.fromhex(
    "020000000002"  # dst MAC
    "020000000001"  # src MAC
    "0800"  # EtherType IPv4
)
# IPv4: ver 4 ihl 5, tos 0, total length 0x1c (28), id 1, flags/offset 0,
# ttl 64, proto 17 (UDP), checksum, 10.0.0.1 -> 10.0.0.2
IPV4_UDP = bytes.fromhex("4500001c00010000401166cd0a0000010a000002")
# UDP: sport 1234, dport 53, length 8, checksum 0
UDP_EMPTY = bytes.fromhex("04d2003500080000")


def _decode(raw: bytes, linktype: int = LINKTYPE_ETHERNET) -> Packet:
    return decode_packet(Packet(ts=0.0, raw=raw, linktype=linktype))


def test_ethernet_ipv4_udp_fields() -> None:
    pkt = _decode(ETH_V4 + IPV4_UDP + UDP_EMPTY)
    assert pkt.eth_src == bytes.fromhex("020000000001")
    assert (pkt.src_ip, pkt.dst_ip, pkt.proto, pkt.sp, pkt.dp) == (
        "10.0.0.1",
        "10.0.0.2",
        17,
        1234,
        53,
    )
    assert pkt.src_addr == 0x0A000001 and pkt.ip4 is not None and pkt.ip4.ttl == 64
    assert pkt.events == []


def test_ethernet_padding_is_trimmed_by_ip_total_length() -> None:
    pkt = _decode(ETH_V4 + IPV4_UDP + UDP_EMPTY + b"\x00" * 18)  # 60-byte minimum frame
    assert pkt.events == [] and pkt.payload == b"" and pkt.l4_end == 14 + 28


def test_ethernet_too_small() -> None:
    assert _decode(b"\x00" * 13).events == [DecodeEvent.ETHERNET_PKT_TOO_SMALL]


def test_qinq_tags_are_recorded_outer_first() -> None:
    tags = bytes.fromhex(
        "88a8"  # EtherType 802.1ad (service tag)
        "0064"  # TCI: vid 100
        "8100"  # EtherType 802.1Q
        "00c8"  # TCI: vid 200
        "0800"  # inner EtherType IPv4
    )
    pkt = _decode(ETH_V4[:12] + tags + IPV4_UDP + UDP_EMPTY)
    assert pkt.vlan_ids == (100, 200) and pkt.proto == 17


def test_four_vlan_tags_are_too_many() -> None:
    tag = bytes.fromhex("81000001")
    pkt = _decode(ETH_V4[:12] + tag * 4 + bytes.fromhex("0800") + IPV4_UDP)
    assert pkt.events == [DecodeEvent.VLAN_TOO_MANY_LAYERS]


def test_truncated_vlan_tag() -> None:
    pkt = _decode(ETH_V4[:12] + bytes.fromhex("810000"))
    assert pkt.events == [DecodeEvent.VLAN_HEADER_TOO_SMALL]


def test_sll_header() -> None:
    sll = bytes.fromhex(
        "0000"  # packet type: to us
        "0001"  # ARPHRD_ETHER
        "0006"  # address length
        "020000000001"
        "0000"  # address, padded to 8
        "0800"  # protocol IPv4
    )
    assert _decode(sll + IPV4_UDP + UDP_EMPTY, LINKTYPE_LINUX_SLL).dp == 53


def test_null_loopback_both_byte_orders() -> None:
    le = _decode(bytes.fromhex("02000000") + IPV4_UDP + UDP_EMPTY, LINKTYPE_NULL)
    be = _decode(bytes.fromhex("00000002") + IPV4_UDP + UDP_EMPTY, LINKTYPE_NULL)
    assert le.proto == be.proto == 17


def test_null_unknown_family() -> None:
    pkt = _decode(bytes.fromhex("07000000") + IPV4_UDP, LINKTYPE_NULL)
    assert pkt.events == [DecodeEvent.NULL_UNSUPPORTED_TYPE]


def test_raw_ip_linktypes() -> None:
    for linktype in (LINKTYPE_RAW, LINKTYPE_IPV4):
        assert _decode(IPV4_UDP + UDP_EMPTY, linktype).sp == 1234


def test_raw_with_bad_version() -> None:
    assert _decode(b"\x50" + IPV4_UDP[1:], LINKTYPE_RAW).events == [DecodeEvent.IPRAW_INVALID_IPV]


def test_unknown_linktype() -> None:
    assert _decode(IPV4_UDP, 147).events == [DecodeEvent.UNKNOWN_LINKTYPE]


def test_ipv4_hlen_too_small() -> None:
    pkt = _decode(b"\x44" + IPV4_UDP[1:] + UDP_EMPTY, LINKTYPE_IPV4)  # ihl 4
    assert pkt.events == [DecodeEvent.IPV4_HLEN_TOO_SMALL]


def test_ipv4_truncated() -> None:
    assert _decode(IPV4_UDP + UDP_EMPTY[:4], LINKTYPE_IPV4).events == [DecodeEvent.IPV4_TRUNC_PKT]


def test_ipv4_options_are_skipped() -> None:
    # ihl 6: one 4-byte option word (NOP NOP NOP EOL); total length 32
    hdr = bytes.fromhex("4600002000010000401100000a0000010a00000201010100")
    pkt = _decode(hdr + UDP_EMPTY, LINKTYPE_IPV4)
    assert pkt.ip4 is not None and pkt.ip4.hlen == 24 and pkt.dp == 53


def test_ipv4_later_fragment_has_no_transport_decode() -> None:
    frag = IPV4_UDP[:6] + bytes.fromhex("0001") + IPV4_UDP[8:]  # fragment offset 1 (8 bytes)
    pkt = _decode(frag + UDP_EMPTY, LINKTYPE_IPV4)
    assert pkt.proto == 17 and pkt.udp is None and pkt.events == []


def test_ipv6_extension_headers_are_skipped() -> None:
    v6 = bytes.fromhex(
        "60000000"  # version 6, tc 0, flow label 0
        "0018"  # payload length 24
        "00"  # next header: hop-by-hop
        "40"  # hop limit 64
        + "20010db8"
        + "00" * 11
        + "01"  # src 2001:db8::1
        + "20010db8"
        + "00" * 11
        + "02"  # dst 2001:db8::2
    )
    hop = bytes.fromhex("2c00010400000000")  # next: fragment, len 0 (8 bytes), PadN
    frag = bytes.fromhex("1100000000000001")  # next: UDP, offset 0, id 1
    pkt = _decode(v6 + hop + frag + UDP_EMPTY, LINKTYPE_IPV6)
    assert (pkt.src_ip, pkt.proto, pkt.dp) == ("2001:db8::1", 17, 53)
    assert pkt.ip6 is not None and pkt.ip6.next_header == 0 and pkt.ip6.proto == 17


def test_ipv6_truncated_extension_header() -> None:
    v6 = bytes.fromhex("6000000000040040") + b"\x00" * 32
    pkt = _decode(v6 + bytes.fromhex("11000000"), LINKTYPE_IPV6)
    assert pkt.events == [DecodeEvent.IPV6_TRUNC_EXTHDR]


def test_tcp_header_options_and_payload() -> None:
    tcp = bytes.fromhex(
        "04d2"
        "0050"  # sport 1234, dport 80
        "00000064"
        "00000000"  # seq 100, ack 0
        "60"
        "02"  # data offset 6 (24 bytes), flags SYN
        "ffff"
        "0000"
        "0000"  # window, checksum, urgent
        "020405b4"  # option: MSS 1460
    )
    iphdr = bytes.fromhex("45000030000100004006") + b"\x00\x00" + bytes.fromhex("0a0000010a000002")
    pkt = _decode(iphdr + tcp + b"GET ", LINKTYPE_IPV4)
    assert pkt.tcp is not None and pkt.tcp.options == bytes.fromhex("020405b4")
    assert pkt.tcp.flags == 0x02 and pkt.payload == b"GET " and pkt.dp == 80


def test_tcp_data_offset_below_five() -> None:
    iphdr = bytes.fromhex("45000028000100004006") + b"\x00\x00" + bytes.fromhex("0a0000010a000002")
    tcp = bytes.fromhex("04d2005000000000000000004002ffff00000000")
    assert _decode(iphdr + tcp, LINKTYPE_IPV4).events == [DecodeEvent.TCP_INVALID_OPTLEN]


def test_udp_length_mismatch() -> None:
    bad = bytes.fromhex("04d2003500100000")  # UDP length 16 but 8 bytes present
    assert _decode(IPV4_UDP + bad, LINKTYPE_IPV4).events == [DecodeEvent.UDP_PKT_TOO_SMALL]


def test_icmpv4_echo() -> None:
    ip = bytes.fromhex("4500001d00010000400100000a0000010a000002")
    icmp = bytes.fromhex("0800000000010002") + b"x"  # echo, id 1 seq 2
    pkt = _decode(ip + icmp, LINKTYPE_IPV4)
    assert pkt.icmp is not None and (pkt.icmp.type, pkt.icmp.rest) == (8, 0x00010002)
    assert pkt.payload == b"x" and (pkt.sp, pkt.dp) == (0, 0)


def test_icmpv4_unreachable_quotes_udp() -> None:
    ip = bytes.fromhex("4500003800010000400100000a0000020a000001")
    icmp = bytes.fromhex("0303000000000000")  # port unreachable
    pkt = _decode(ip + icmp + IPV4_UDP + UDP_EMPTY, LINKTYPE_IPV4)
    assert pkt.icmp_emb is not None and (pkt.icmp_emb.sp, pkt.icmp_emb.dp) == (1234, 53)


def test_icmpv6_too_small() -> None:
    v6 = bytes.fromhex("6000000000043a40") + b"\x00" * 32
    assert _decode(v6 + b"\x80\x00\x00\x00", LINKTYPE_IPV6).events == [
        DecodeEvent.ICMPV6_PKT_TOO_SMALL
    ]
