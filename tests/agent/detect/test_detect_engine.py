from agent.detect.engine import DetectEngine
from agent.detect.testing import make_flow, packet, rule
from agent.engines.base import EngineSettings


def engine(*texts: str) -> DetectEngine:
    return DetectEngine([rule(t) for t in texts], EngineSettings())


def sids(eng: DetectEngine, pkt) -> list[int]:
    return [a.rule.sid for a in eng.inspect(pkt)]


def test_tcp_rule_needs_tcp():
    eng = engine("alert tcp any any -> any any (sid:1;)", "alert ip any any -> any any (sid:2;)")
    assert sids(eng, packet(proto=17)) == [2]


def test_ports_and_addresses():
    eng = engine("alert tcp 10.0.0.0/8 any -> any 80 (sid:1;)")
    assert sids(eng, packet(dp=80)) == [1]
    assert sids(eng, packet(dp=81)) == []
    assert sids(eng, packet(src="11.0.0.1")) == []


def test_rule_with_ports_never_matches_icmp():
    eng = engine("alert ip any any -> any 80 (sid:1;)")
    assert sids(eng, packet(proto=1)) == []


def test_content_rule_needs_payload():
    eng = engine('alert tcp any any -> any any (content:!"x"; sid:1;)')
    assert sids(eng, packet(b"")) == []
    assert sids(eng, packet(b"y")) == [1]


def test_bidirectional_matches_reverse_direction():
    eng = engine("alert tcp 8.8.8.8 any <> 10.0.0.1 any (sid:1;)")
    assert sids(eng, packet()) == [1]


def test_bidirectional_alerts_twice_when_both_sides_match():
    eng = engine("alert tcp any any <> any 80 (sid:1;)")
    assert sids(eng, packet(sp=80, dp=80)) == [1, 1]


def test_flow_direction_and_state():
    eng = engine("alert tcp any any -> any any (flow:established,to_client; sid:1;)")
    f = make_flow()
    assert sids(eng, packet(flow=f, to_server=False, established=True)) == [1]
    assert sids(eng, packet(flow=f, to_server=True, established=True)) == []
    assert sids(eng, packet(flow=f, to_server=False, established=False)) == []


def test_flow_state_needs_a_flow():
    eng = engine("alert tcp any any -> any any (flow:not_established; sid:1;)")
    assert sids(eng, packet()) == []
    assert sids(eng, packet(flow=make_flow())) == [1]


def test_bare_to_server_matches_flowless_packets():
    eng = engine("alert tcp any any -> any any (flow:to_server; sid:1;)")
    assert sids(eng, packet()) == [1]


def test_ip_only_rule_once_per_flow_direction():
    eng = engine("alert ip any any -> any any (sid:1;)")
    f = make_flow()
    assert sids(eng, packet(flow=f)) == [1]
    assert sids(eng, packet(flow=f)) == []
    assert sids(eng, packet(flow=f, to_server=False)) == [1]


def test_negated_address_rule_is_inspected_every_packet():
    eng = engine("alert ip !1.2.3.4 any -> any any (sid:1;)")
    f = make_flow()
    assert sids(eng, packet(flow=f)) == [1]
    assert sids(eng, packet(flow=f)) == [1]


def test_pass_rule_suppresses_alerts_on_packet():
    eng = engine('alert tcp any any -> any any (content:"a"; sid:1;)',
                 'pass tcp any any -> any any (content:"a"; sid:2;)')
    assert sids(eng, packet(b"a")) == []
    assert sids(eng, packet(b"b")) == []


def test_ip_only_pass_passes_the_flow():
    eng = engine('alert tcp any any -> any any (content:"a"; sid:1;)',
                 "pass ip 8.8.8.8 any <> any any (sid:2;)")
    f = make_flow()
    assert sids(eng, packet(b"a", flow=f)) == []
    assert sids(eng, packet(b"a", flow=f)) == []


def test_priority_orders_alerts():
    eng = engine("alert ip any any -> any any (priority:3; sid:1;)",
                 "alert ip any any -> any any (priority:1; sid:2;)")
    assert sids(eng, packet()) == [2, 1]


def test_flowbits_set_then_isset_same_packet_regardless_of_file_order():
    eng = engine('alert tcp any any -> any any (flowbits:isset,seen; sid:1;)',
                 'alert tcp any any -> any any (content:"login"; flowbits:set,seen; '
                 'flowbits:noalert; sid:2;)')
    f = make_flow()
    assert sids(eng, packet(b"x", flow=f)) == []
    assert sids(eng, packet(b"login", flow=f)) == [1]
    assert sids(eng, packet(b"x", flow=f)) == [1]


def test_flowbits_isnotset_and_unset():
    eng = engine('alert tcp any any -> any any (content:"a"; flowbits:isnotset,b; sid:1;)',
                 'alert tcp any any -> any any (content:"u"; flowbits:unset,b; sid:2;)',
                 'alert tcp any any -> any any (content:"s"; flowbits:set,b; sid:3;)')
    f = make_flow()
    assert sids(eng, packet(b"s", flow=f)) == [3]
    assert sids(eng, packet(b"a", flow=f)) == []
    assert sids(eng, packet(b"u", flow=f)) == [2]
    assert sids(eng, packet(b"a", flow=f)) == [1]


def test_packet_alert_max():
    eng = engine(*[f"alert tcp any any -> any any (sid:{i};)" for i in range(1, 21)])
    assert len(eng.inspect(packet())) == 15


def test_decode_event_packets_only_reach_ip_only_rules():
    from agent.decode.events import DecodeEvent
    eng = engine("alert ip any any -> any any (sid:1;)",
                 "alert ip any any -> any any (ttl:64; sid:2;)")
    pkt = packet()
    pkt.events.append(DecodeEvent.TCP_HLEN_TOO_SMALL)
    assert sids(eng, pkt) == [1]
