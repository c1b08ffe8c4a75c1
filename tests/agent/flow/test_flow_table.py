"""FlowTable semantics, each rule checked with scapy-built frames (Suricata 7 behaviour)."""

from __future__ import annotations

from scapy.layers.inet import ICMP, IP, TCP, UDP, IPerror, UDPerror
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Dot1Q, Ether

from agent.decode import decode_packet
from agent.decode.packet import Packet
from agent.flow.table import FlowTable

C, S = "10.0.0.1", "10.0.0.2"


def _p(frame: object, ts: float = 1.0) -> Packet:
    return decode_packet(Packet(ts=ts, raw=bytes(frame)))  # type: ignore[call-overload]


def tcp(
    src: str, dst: str, sp: int, dp: int, flags: str, seq: int = 0, data: bytes = b""
) -> Packet:
    return _p(Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq) / data)


def handshake(table: FlowTable) -> list[Packet]:
    pkts = [
        tcp(C, S, 40000, 80, "S", seq=100),
        tcp(S, C, 80, 40000, "SA", seq=500),
        tcp(C, S, 40000, 80, "A", seq=101),
        tcp(C, S, 40000, 80, "PA", seq=101, data=b"GET / HTTP/1.0\r\n\r\n"),
        tcp(S, C, 80, 40000, "PA", seq=501, data=b"HTTP/1.0 200 OK\r\n"),
    ]
    for p in pkts:
        table.update(p)
    return pkts


def test_handshake_packets_are_not_established_until_after_final_ack() -> None:
    pkts = handshake(FlowTable())
    assert [p.established for p in pkts] == [False, False, False, True, True]


def test_handshake_directions() -> None:
    pkts = handshake(FlowTable())
    assert [p.to_server for p in pkts] == [True, False, True, True, False]


def test_one_flow_for_both_directions_with_client_from_syn() -> None:
    table = FlowTable()
    pkts = handshake(table)
    flow = pkts[0].flow
    assert len(table) == 1 and all(p.flow is flow for p in pkts)
    assert flow is not None and (flow.client_ip, flow.client_port, flow.server_port) == (
        C,
        40000,
        80,
    )
    assert (flow.pkts_toserver, flow.pkts_toclient, flow.state) == (3, 2, "established")


def test_flow_id_is_positive_and_below_2_53() -> None:
    flow = handshake(FlowTable())[0].flow
    assert flow is not None and 0 < flow.flow_id < 2**53


def test_midstream_pickup_is_never_established_by_default() -> None:
    table = FlowTable()
    pkts = [tcp(C, S, 40000, 80, "PA", data=b"x"), tcp(S, C, 80, 40000, "PA", data=b"y")]
    for p in pkts:
        table.update(p)
    assert [p.established for p in pkts] == [False, False]
    assert [p.to_server for p in pkts] == [True, False]


def test_synack_first_keeps_packet_direction_without_midstream() -> None:
    table = FlowTable()
    synack = tcp(S, C, 80, 40000, "SA")
    flow = table.update(synack)
    assert flow is not None and flow.client_ip == S and synack.to_server and not synack.established


def test_midstream_synack_first_reverses_flow() -> None:
    table = FlowTable(midstream=True)
    pkts = [
        tcp(S, C, 80, 40000, "SA", seq=500),
        tcp(C, S, 40000, 80, "A"),
        tcp(C, S, 40000, 80, "PA", data=b"x"),
    ]
    for p in pkts:
        table.update(p)
    flow = pkts[0].flow
    assert flow is not None and (flow.client_ip, flow.server_port) == (C, 80)
    assert [p.to_server for p in pkts] == [False, True, True]
    assert [p.established for p in pkts] == [False, False, True]


def test_midstream_ack_pickup_is_established_from_second_packet() -> None:
    table = FlowTable(midstream=True)
    pkts = [tcp(C, S, 40000, 80, "A"), tcp(S, C, 80, 40000, "A")]
    for p in pkts:
        table.update(p)
    assert [p.established for p in pkts] == [False, True]


def test_rst_closes_but_later_packets_stay_established() -> None:
    table = FlowTable()
    pkts = handshake(table)
    rst = tcp(S, C, 80, 40000, "R")
    after = tcp(C, S, 40000, 80, "A")
    table.update(rst)
    table.update(after)
    assert rst.established and after.established and pkts[0].flow.state == "closed"  # type: ignore[union-attr]


def test_fin_sequence_reaches_closed() -> None:
    table = FlowTable()
    flow = handshake(table)[0].flow
    assert flow is not None
    states = []
    for p in (tcp(C, S, 40000, 80, "FA"), tcp(S, C, 80, 40000, "FA"), tcp(C, S, 40000, 80, "A")):
        table.update(p)
        states.append(flow.state)
    assert states == ["close_wait", "last_ack", "closed"]


def test_new_syn_on_closed_flow_replaces_it() -> None:
    table = FlowTable()
    old = handshake(table)[0].flow
    table.update(tcp(C, S, 40000, 80, "R"))
    syn = tcp(C, S, 40000, 80, "S", seq=9999)
    new = table.update(syn)
    assert new is not None and new is not old and new.flow_id != old.flow_id  # type: ignore[union-attr]
    assert len(table) == 1 and not syn.established and new.state == "syn_sent"


def test_retransmitted_syn_keeps_flow() -> None:
    table = FlowTable()
    first = table.update(tcp(C, S, 40000, 80, "S", seq=100))
    assert table.update(tcp(C, S, 40000, 80, "S", seq=100)) is first


def test_syn_on_live_session_keeps_flow() -> None:
    table = FlowTable()
    flow = handshake(table)[0].flow
    assert table.update(tcp(C, S, 40000, 80, "S", seq=7)) is flow


def test_udp_first_reply_is_established() -> None:
    table = FlowTable()
    pkts = [
        _p(Ether() / IP(src=C, dst=S) / UDP(sport=5353, dport=53) / b"q"),
        _p(Ether() / IP(src=C, dst=S) / UDP(sport=5353, dport=53) / b"q2"),
        _p(Ether() / IP(src=S, dst=C) / UDP(sport=53, dport=5353) / b"a"),
        _p(Ether() / IP(src=C, dst=S) / UDP(sport=5353, dport=53) / b"q3"),
    ]
    for p in pkts:
        table.update(p)
    assert [p.established for p in pkts] == [False, False, True, True]
    assert [p.to_server for p in pkts] == [True, True, False, True]


def test_equal_ports_use_addresses_for_direction() -> None:
    table = FlowTable()
    a = _p(Ether() / IP(src=C, dst=S) / UDP(sport=123, dport=123))
    b = _p(Ether() / IP(src=S, dst=C) / UDP(sport=123, dport=123))
    table.update(a)
    table.update(b)
    assert a.flow is b.flow and a.to_server and not b.to_server


def test_icmp_echo_and_reply_share_a_flow() -> None:
    table = FlowTable()
    req = _p(Ether() / IP(src=C, dst=S) / ICMP(type=8, id=1))
    rep = _p(Ether() / IP(src=S, dst=C) / ICMP(type=0, id=1))
    table.update(req)
    table.update(rep)
    assert req.flow is rep.flow and not rep.to_server and rep.established
    assert req.flow is not None and req.flow.client_port == 0


def test_icmp_types_that_are_not_counterparts_get_separate_flows() -> None:
    table = FlowTable()
    table.update(_p(Ether() / IP(src=C, dst=S) / ICMP(type=8)))
    table.update(_p(Ether() / IP(src=C, dst=S) / ICMP(type=13)))
    assert len(table) == 2


def test_icmpv6_echo_pair() -> None:
    table = FlowTable()
    req = _p(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest())
    rep = _p(Ether() / IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6EchoReply())
    table.update(req)
    table.update(rep)
    assert req.flow is rep.flow and rep.established


def test_icmp_error_never_creates_a_flow() -> None:
    table = FlowTable()
    err = _p(Ether() / IP(src=S, dst=C) / ICMP(type=11))
    assert table.update(err) is None and len(table) == 0


def test_unreachable_joins_quoted_flow_without_counting_as_seen() -> None:
    table = FlowTable()
    q = _p(Ether() / IP(src=C, dst=S) / UDP(sport=5353, dport=53) / b"q")
    table.update(q)
    err = _p(
        Ether()
        / IP(src=S, dst=C)
        / ICMP(type=3, code=3)
        / IPerror(src=C, dst=S)
        / UDPerror(sport=5353, dport=53)
    )
    assert table.update(err) is q.flow
    assert not err.to_server and not err.established
    assert q.flow is not None and not q.flow.toclient_seen


def test_vlans_separate_flows() -> None:
    table = FlowTable()
    table.update(_p(Ether() / Dot1Q(vlan=1) / IP(src=C, dst=S) / UDP(sport=1, dport=2)))
    table.update(_p(Ether() / Dot1Q(vlan=2) / IP(src=C, dst=S) / UDP(sport=1, dport=2)))
    assert len(table) == 2


def test_packets_without_ip_or_transport_have_no_flow() -> None:
    table = FlowTable()
    assert table.update(Packet(ts=0.0, raw=b"\x00" * 20)) is None
    frag = _p(Ether() / IP(src=C, dst=S, frag=10, proto=17) / b"later fragment bytes")
    assert table.update(frag) is None and len(table) == 0


def test_expire_uses_state_timeouts() -> None:
    table = FlowTable()
    table.update(_p(Ether() / IP(src=C, dst=S) / UDP(sport=1, dport=2), ts=100.0))
    assert table.expire(130.5) == [] and len(table) == 1  # 100 + 30 is not < 130
    assert len(table.expire(131.0)) == 1 and len(table) == 0


def test_established_udp_lives_300s() -> None:
    table = FlowTable()
    table.update(_p(Ether() / IP(src=C, dst=S) / UDP(sport=1, dport=2), ts=100.0))
    table.update(_p(Ether() / IP(src=S, dst=C) / UDP(sport=2, dport=1), ts=100.0))
    assert table.expire(200.0) == [] and len(table.expire(401.0)) == 1


def test_closed_tcp_times_out_after_10s() -> None:
    table = FlowTable()
    handshake(table)
    table.update(tcp(S, C, 80, 40000, "R"))
    assert table.expire(11.0) == [] and len(table.expire(12.0)) == 1


def test_packet_after_timeout_starts_a_new_flow() -> None:
    table = FlowTable()
    a = _p(Ether() / IP(src=C, dst=S) / UDP(sport=1, dport=2), ts=0.0)
    b = _p(Ether() / IP(src=S, dst=C) / UDP(sport=2, dport=1), ts=100.0)
    table.update(a)
    table.update(b)
    assert a.flow is not b.flow and b.to_server and not b.established
