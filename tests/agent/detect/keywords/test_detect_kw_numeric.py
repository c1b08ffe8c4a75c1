import pytest

from agent.detect.testing import packet, rule
from agent.detect.uint import parse_uint
from yamori.errors import RuleParseError


@pytest.mark.parametrize("text,value,ok", [
    ("5", 5, True), ("5", 6, False), ("<5", 4, True), ("<5", 5, False), (">5", 6, True),
    ("<=5", 5, True), (">=5", 5, True), ("!5", 5, False), ("!5", 4, True),
    ("2<>5", 3, True), ("2<>5", 2, False), ("2<>5", 5, False), ("2-5", 4, True),
])
def test_uint_modes(text, value, ok):
    assert parse_uint(text, 16, "x").matches(value) is ok


@pytest.mark.parametrize("text", ["", "abc", "256", "5<>2", "<5<>7"])
def test_uint_invalid_u8(text):
    with pytest.raises(RuleParseError):
        parse_uint(text, 8, "ttl")


def matches(options: str, pkt) -> bool:
    r = rule(f"alert ip any any -> any any ({options} sid:1;)")
    return all(m.fn(pkt, m.value) for m in r.matches)


def test_dsize():
    assert matches("dsize:3;", packet(b"abc")) and not matches("dsize:>3;", packet(b"abc"))


def test_ttl():
    assert matches("ttl:64;", packet(ttl=64)) and not matches("ttl:<10;", packet(ttl=64))


def test_itype_icode_only_icmp():
    assert matches("itype:8;", packet(proto=1)) and matches("icode:0;", packet(proto=1))
    assert not matches("itype:8;", packet(proto=6))


def test_dsize_not_equal_requires_payload():
    # Suricata's rule mask: dsize:!N, >N, ranges and =N>0 need a payload
    assert not matches("dsize:!9;", packet(b""))
    assert matches("dsize:!9;", packet(b"a"))
    assert matches("dsize:<9;", packet(b""))
