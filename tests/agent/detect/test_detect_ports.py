import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.detect.ports import parse_ports
from agent.detect.vars import DEFAULT_PORT_VARS
from yamori.errors import RuleParseError

VARS = dict(DEFAULT_PORT_VARS)


@pytest.mark.parametrize("expr,port,ok", [
    ("any", 5, True), ("80", 80, True), ("80", 81, False), ("1:10", 10, True),
    ("1:10", 11, False), ("1024:", 65535, True), ("1024:", 1023, False), (":1024", 0, True),
    ("!80", 80, False), ("!80", 81, True), ("[80,443]", 443, True),
    ("[1:100,!50]", 50, False), ("[1:100,!50]", 51, True), ("$HTTP_PORTS", 80, True),
    ("$SHELLCODE_PORTS", 80, False), ("$FILE_DATA_PORTS", 143, True), ("![80,443]", 22, True),
])
def test_port_matching(expr, port, ok):
    assert parse_ports(expr, VARS).matches(port) is ok


@pytest.mark.parametrize("expr", ["!any", "70000", "10:5", "[80", "$NOPE", "[80,!80]", "abc"])
def test_invalid_ports(expr):
    with pytest.raises(RuleParseError):
        parse_ports(expr, VARS)


@given(st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 65535))
def test_range_property(lo, hi, port):
    if lo > hi:
        lo, hi = hi, lo
    assert parse_ports(f"{lo}:{hi}", VARS).matches(port) is (lo <= port <= hi)
