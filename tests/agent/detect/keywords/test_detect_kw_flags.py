import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.decode.packet import TCPHeader
from agent.detect.keywords.flags import FlagsValue, flags_match, parse
from agent.detect.testing import packet, rule
from yamori.errors import RuleParseError

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


def tcp_packet(flags: int):
    pkt = packet()
    pkt.tcp = TCPHeader(1234, 80, 0, 0, 20, flags, 1024, 0, 0, b"")
    return pkt


def matches(option: str, pkt) -> bool:
    r = rule(f"alert ip any any -> any any (flags:{option}; sid:1;)")
    return all(m.fn(pkt, m.value) for m in r.matches)


def test_parse_single_flag():
    assert parse("S") == FlagsValue(SYN, "", 0xFF)


def test_parse_all_letters():
    assert parse("FSRPAUCE").flags == 0xFF


def test_parse_digits_alias_cwr_ece():
    assert parse("12").flags == CWR | ECE


def test_parse_modifier_before_flags():
    assert parse("+SA") == FlagsValue(SYN | ACK, "+", 0xFF)


def test_parse_modifier_after_flags():
    assert parse("SA*").modifier == "*"


def test_parse_ignore_mask():
    assert parse("S,12").ignore_mask == 0xFF & ~(CWR | ECE)


def test_parse_zero_clears_earlier_flags():
    assert parse("S0").flags == 0


def test_parse_zero_then_flag():
    assert parse("0S").flags == SYN


def test_parse_spaces_allowed():
    assert parse(" ! S , C ") == FlagsValue(SYN, "!", 0xFF & ~CWR)


@pytest.mark.parametrize("text", ["", "s", "X", "+", "!+S", "S-", "-S", "S,", "S,0", "S,X",
                                  "S,s", "S A"])
def test_parse_invalid(text):
    with pytest.raises(RuleParseError):
        parse(text)


def test_exact_match_requires_same_flags():
    assert matches("S", tcp_packet(SYN)) and not matches("S", tcp_packet(SYN | ACK))


def test_ignored_flags_do_not_count():
    assert matches("S,12", tcp_packet(SYN | ECE | CWR))


def test_plus_allows_other_flags():
    assert matches("S+", tcp_packet(SYN | ACK)) and not matches("S+", tcp_packet(ACK))


def test_any_needs_one_listed_flag():
    assert matches("*SA", tcp_packet(ACK)) and not matches("*SA", tcp_packet(FIN))


def test_not_matches_when_not_all_set():
    assert matches("!SA", tcp_packet(SYN)) and not matches("!SA", tcp_packet(SYN | ACK))


def test_zero_matches_no_flags_only():
    assert matches("0", tcp_packet(0)) and not matches("0", tcp_packet(ACK))


def test_not_zero_matches_any_flag():
    assert matches("!0", tcp_packet(ACK)) and not matches("!0", tcp_packet(0))


def test_non_tcp_never_matches():
    assert not matches("!S", packet(proto=17))


def test_tcp_flags_name_is_an_alias():
    r = rule("alert tcp any any -> any any (tcp.flags:S; sid:1;)")
    assert r.matches[0].fn(tcp_packet(SYN), r.matches[0].value)


@given(st.integers(0, 255), st.sampled_from(["", "+", "*", "!"]),
       st.text(alphabet="FSRPAUCE12", min_size=1, max_size=6))
def test_plus_is_subset_and_any_is_intersection(pflags, mod, letters):
    value = parse(mod + letters)
    if value.modifier == "+":
        assert flags_match(pflags, value) == (pflags & value.flags == value.flags)
    if value.modifier == "*":
        assert flags_match(pflags, value) == bool(pflags & value.flags)
    if value.modifier == "":
        assert flags_match(pflags, value) == (pflags == value.flags)
