import pytest

from agent.decode.packet import ICMPHeader
from agent.detect.keywords._icmp_echo import parse_u16
from agent.detect.testing import packet, rule
from yamori.errors import RuleParseError


def icmp_packet(itype: int, ident: int, seq: int, v6: bool = False):
    pkt = packet(proto=58 if v6 else 1)
    pkt.icmp = ICMPHeader(itype, 0, 0, (ident << 16) | seq, v6)
    return pkt


def matches(option: str, pkt) -> bool:
    r = rule(f"alert icmp any any -> any any ({option} sid:1;)")
    return all(m.fn(pkt, m.value) for m in r.matches)


@pytest.mark.parametrize("text,value", [("300", 300), ("  300  ", 300), ('"300"', 300),
                                        ('  "  300 "', 300), ("0", 0), ("65535", 65535)])
def test_parse_valid(text, value):
    assert parse_u16("icmp_id", text) == value


@pytest.mark.parametrize("text", ['"300', '300"', "65536", "-1", "abc", "", "<5"])
def test_parse_invalid(text):
    with pytest.raises(RuleParseError):
        parse_u16("icmp_id", text)


def test_icmp_id_matches_echo_request():
    assert matches("icmp_id:21781;", icmp_packet(8, 21781, 1))


def test_icmp_id_other_value_does_not_match():
    assert not matches("icmp_id:21782;", icmp_packet(8, 21781, 1))


def test_icmp_id_ignores_messages_without_id():
    assert not matches("icmp_id:0;", icmp_packet(11, 0, 0))  # time exceeded


def test_icmp_id_timestamp_has_id():
    assert matches("icmp_id:7;", icmp_packet(13, 7, 0))


def test_icmp_seq_matches_echo_reply():
    assert matches("icmp_seq:2216;", icmp_packet(0, 1, 2216))


def test_icmp_seq_icmpv6_echo():
    assert matches("icmp_seq:5;", icmp_packet(128, 1, 5, v6=True))


def test_icmp_seq_icmpv6_other_type_no_match():
    assert not matches("icmp_seq:0;", icmp_packet(1, 0, 0, v6=True))


def test_icmp_seq_non_icmp_no_match():
    assert not matches("icmp_seq:0;", packet(proto=6))
