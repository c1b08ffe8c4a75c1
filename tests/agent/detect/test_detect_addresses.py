import ipaddress

import pytest

from agent.detect.addresses import parse_addresses
from agent.detect.vars import DEFAULT_ADDRESS_VARS
from yamori.errors import RuleParseError

VARS = dict(DEFAULT_ADDRESS_VARS)


def m(expr: str, addr: str) -> bool:
    a = ipaddress.ip_address(addr)
    return parse_addresses(expr, VARS).matches(a.version, int(a))


def test_any_matches_both_families():
    assert m("any", "1.2.3.4") and m("any", "::1")


def test_cidr():
    assert m("10.0.0.0/8", "10.9.9.9") and not m("10.0.0.0/8", "11.0.0.1")


def test_list_with_negated_item():
    assert m("[1.2.3.0/24,!1.2.3.4]", "1.2.3.5")
    assert not m("[1.2.3.0/24,!1.2.3.4]", "1.2.3.4")


def test_home_net_default():
    assert m("$HOME_NET", "192.168.1.1") and not m("$HOME_NET", "8.8.8.8")


def test_external_net_is_negated_home_net_ipv4_only():
    assert m("$EXTERNAL_NET", "8.8.8.8")
    assert not m("$EXTERNAL_NET", "10.1.1.1")
    # Suricata: a pure IPv4 negation leaves the IPv6 family empty
    assert not m("$EXTERNAL_NET", "2001:db8::1")


def test_negated_nested_list():
    assert not m("![1.1.1.1,2.2.2.2]", "2.2.2.2")
    assert m("![1.1.1.1,2.2.2.2]", "3.3.3.3")


def test_range():
    assert m("1.1.1.1-1.1.1.5", "1.1.1.3") and not m("1.1.1.1-1.1.1.5", "1.1.1.6")


def test_ipv6_cidr():
    assert m("2001:db8::/32", "2001:db8::5") and not m("2001:db8::/32", "1.2.3.4")


@pytest.mark.parametrize("expr", ["!any", "[1.2.3.4,!1.2.3.4]", "$NOPE", "1.2.3", "[1.2.3.4"])
def test_invalid_addresses(expr):
    with pytest.raises(RuleParseError):
        parse_addresses(expr, VARS)


def test_negation_flag_recorded():
    assert parse_addresses("$EXTERNAL_NET", VARS).has_negation
    assert not parse_addresses("$HOME_NET", VARS).has_negation
