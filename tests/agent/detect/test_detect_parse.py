import pytest

from agent.detect.parse import split_options
from agent.detect.testing import rule
from yamori.errors import RuleParseError


def err(text: str) -> RuleParseError:
    with pytest.raises(RuleParseError) as info:
        rule(text)
    return info.value


def test_meta_fields():
    r = rule('alert tcp any any -> any 80 (msg:"a \\"b\\" \\; c"; sid:5; rev:3; gid:2; '
             'classtype:trojan-activity; metadata: created_at 2020, tag X, tag Y; '
             'reference:url,example.com;)')
    assert (r.sid, r.rev, r.gid, r.msg) == (5, 3, 2, 'a "b" ; c')
    assert (r.category, r.priority) == ("A Network Trojan was detected", 1)
    assert r.metadata == {"created_at": ["2020"], "tag": ["X", "Y"]}
    assert r.references == (("url", "example.com"),)


def test_priority_overrides_classtype_in_any_order():
    assert rule("alert ip any any -> any any (priority:4; classtype:trojan-activity; sid:1;)"
                ).priority == 4


def test_unknown_classtype_defaults():
    r = rule("alert ip any any -> any any (classtype:no-such-thing; sid:1;)")
    assert (r.category, r.priority) == ("", 3)


def test_default_priority_is_3():
    assert rule("alert ip any any -> any any (sid:1;)").priority == 3


def test_split_options_honours_escapes():
    assert split_options('msg:"a\\;b"; sid:1;') == [("msg", '"a\\;b"'), ("sid", "1")]


@pytest.mark.parametrize("proto", ["http", "dns", "tls", "pkthdr", "tcp-stream", "smb"])
def test_unsupported_protocols(proto):
    e = err(f"alert {proto} any any -> any any (sid:9;)")
    assert e.skip_line() == f"rule sid:9 skipped: unsupported keyword '{proto}'"


@pytest.mark.parametrize("action", ["drop", "reject"])
def test_unsupported_actions(action):
    assert err(f"{action} tcp any any -> any any (sid:9;)").unsupported == action


def test_unknown_keyword_is_unsupported():
    e = err('alert tcp any any -> any any (content:"a"; pcre:"/a/"; sid:12;)')
    assert e.skip_line() == "rule sid:12 skipped: unsupported keyword 'pcre'"


@pytest.mark.parametrize("text", [
    "alert tcp any any -> any any (msg:\"x\";)",                      # no sid
    "alert tcp any any <- any any (sid:1;)",                          # bad direction
    'alert tcp any any -> any any (content:"abc"; depth:2; sid:1;)',  # depth < len
    'alert tcp any any -> any any (content:"a"; content:"bc"; within:1; sid:1;)',
    'alert tcp any any -> any any (content:"a"; offset:1; distance:1; sid:1;)',
    'alert tcp any any -> any any (content:"a"; depth:3; depth:4; sid:1;)',
    'alert tcp any any -> any any (nocase; sid:1;)',
    'alert tcp any any -> any any (content:"|4|"; sid:1;)',
    'alert tcp any any -> any any (flow:to_server,to_client; sid:1;)',
    "alert tcp any any -> any any (sid:1; sid:2;)",
    "alert tcp any any -> any any (dsize:5<>3; sid:1;)",
])
def test_parse_errors_report_sid(text):
    e = err(text)
    assert e.unsupported is None
    assert e.skip_line().startswith("rule sid:")


def test_parse_error_sid_sniffed():
    assert err("alert tcp any any <- any any (sid:77;)").sid == 77


def test_icmp_covers_both_versions():
    r = rule("alert icmp any any -> any any (sid:1;)")
    assert r.header.proto.matches(4, 1) and r.header.proto.matches(6, 58)
    assert not r.header.proto.matches(4, 6)


def test_bidirectional_same_sides_is_one_direction():
    assert not rule("alert ip any any <> any any (sid:1;)").header.bidirectional
    assert rule("alert ip 1.1.1.1 any <> any any (sid:1;)").header.bidirectional


def test_ip_only_classification():
    assert rule("alert ip 1.1.1.1 any -> any any (sid:1;)").ip_only
    assert rule("alert ip any any -> any any (flowbits:set,x; sid:1;)").ip_only
    assert not rule("alert ip any any -> any any (flowbits:isset,x; sid:1;)").ip_only
    assert not rule("alert ip $EXTERNAL_NET any -> any any (sid:1;)").ip_only
    assert not rule('alert tcp any any -> any any (content:"a"; sid:1;)').ip_only
    assert not rule("alert tcp any any -> any any (flow:to_server; sid:1;)").ip_only
