import pytest

from agent.detect.engine import DetectEngine
from agent.detect.keywords.threshold import parse
from agent.detect.testing import make_flow, packet, rule
from agent.detect.threshold import ThresholdSpec
from agent.engines.base import EngineSettings
from yamori.errors import RuleParseError

T0 = 1714557600.0


def test_parse_valid():
    assert parse("type limit, track by_src, count 5, seconds 60") == \
        ThresholdSpec("limit", "by_src", 5, 60)


def test_parse_any_order():
    assert parse("seconds 10,count 2,track by_dst,type both") == \
        ThresholdSpec("both", "by_dst", 2, 10)


@pytest.mark.parametrize("track", ["by_src", "by_dst", "by_both", "by_rule", "by_flow"])
def test_parse_tracks(track):
    assert parse(f"type threshold, track {track}, count 1, seconds 1").track == track


def test_parse_boundary_u32():
    assert parse("type limit, track by_src, count 4294967295, seconds 0").count == 4294967295


@pytest.mark.parametrize("text", [
    "", "type limit, track by_src, count 5",
    "type limit, track by_src, count 5, seconds 60, count 5",
    "type any, track by_src, count 5, seconds 60",
    "type limit, track by_src, count 4294967296, seconds 60",
    "type limit, track by_src, count x, seconds 60",
    "type limit, track by_nothing, count 5, seconds 60",
])
def test_parse_invalid(text):
    with pytest.raises(RuleParseError):
        parse(text)


def test_backoff_is_unsupported():
    with pytest.raises(RuleParseError) as exc:
        parse("type backoff, track by_flow, count 1, multiplier 10")
    assert exc.value.unsupported == "threshold"


def test_second_threshold_is_a_parse_error():
    with pytest.raises(RuleParseError):
        rule("alert ip any any -> any any (threshold:type limit,track by_src,count 1,seconds 1;"
             " threshold:type limit,track by_src,count 1,seconds 1; sid:1;)")


def test_threshold_keeps_rule_ip_only():
    r = rule("alert ip any any -> any any (threshold:type limit,track by_src,count 1,seconds 1;"
             " sid:1;)")
    assert r.ip_only


def run(spec: str, times: list[float], **pkt_kw) -> list[bool]:
    eng = DetectEngine([rule(f"alert tcp any any -> any any ({spec} sid:1;)")],
                       EngineSettings())
    return [bool(eng.inspect(packet(ts=T0 + t, **pkt_kw))) for t in times]


def test_limit_alerts_first_count_in_window():
    assert run("threshold:type limit,track by_src,count 2,seconds 60;",
               [0, 1, 2, 3]) == [True, True, False, False]


def test_limit_window_restarts_after_seconds():
    assert run("threshold:type limit,track by_src,count 1,seconds 10;",
               [0, 5, 10.5, 11]) == [True, False, True, False]


def test_limit_window_end_is_inclusive():
    assert run("threshold:type limit,track by_src,count 1,seconds 10;",
               [0, 10]) == [True, False]


def test_threshold_alerts_every_count_th_match():
    assert run("threshold:type threshold,track by_src,count 3,seconds 60;",
               [0, 1, 2, 3, 4, 5]) == [False, False, True, False, False, True]


def test_threshold_count_one_alerts_every_time():
    assert run("threshold:type threshold,track by_src,count 1,seconds 60;",
               [0, 1, 2]) == [True, True, True]


def test_threshold_window_reset_counts_as_first():
    assert run("threshold:type threshold,track by_src,count 2,seconds 10;",
               [0, 11, 12]) == [False, False, True]


def test_both_alerts_once_when_count_reached():
    assert run("threshold:type both,track by_src,count 3,seconds 60;",
               [0, 1, 2, 3, 4]) == [False, False, True, False, False]


def test_both_alerts_again_in_next_window():
    assert run("threshold:type both,track by_src,count 2,seconds 10;",
               [0, 1, 20, 21]) == [False, True, False, True]


def test_by_src_tracks_sources_separately():
    eng = DetectEngine([rule("alert tcp any any -> any any (threshold:type limit,"
                             "track by_src,count 1,seconds 60; sid:1;)")], EngineSettings())
    assert eng.inspect(packet(src="10.0.0.1"))
    assert eng.inspect(packet(src="10.0.0.2"))
    assert not eng.inspect(packet(src="10.0.0.1"))


def test_by_dst_tracks_destination():
    eng = DetectEngine([rule("alert tcp any any -> any any (threshold:type limit,"
                             "track by_dst,count 1,seconds 60; sid:1;)")], EngineSettings())
    assert eng.inspect(packet(src="10.0.0.1"))
    assert not eng.inspect(packet(src="10.0.0.2"))


def test_by_both_ignores_direction():
    eng = DetectEngine([rule("alert tcp any any -> any any (threshold:type limit,"
                             "track by_both,count 1,seconds 60; sid:1;)")], EngineSettings())
    assert eng.inspect(packet(src="10.0.0.1", dst="10.0.0.2"))
    assert not eng.inspect(packet(src="10.0.0.2", dst="10.0.0.1"))


def test_by_flow_without_flow_never_alerts():
    assert run("threshold:type limit,track by_flow,count 1,seconds 60;", [0]) == [False]


def test_by_flow_tracks_per_flow():
    eng = DetectEngine([rule("alert tcp any any -> any any (threshold:type limit,"
                             "track by_flow,count 1,seconds 60; sid:1;)")], EngineSettings())
    f1, f2 = make_flow(), make_flow()
    assert eng.inspect(packet(flow=f1)) and eng.inspect(packet(flow=f2))
    assert not eng.inspect(packet(flow=f1))


def test_engines_do_not_share_state():
    text = ("alert tcp any any -> any any (threshold:type limit,track by_src,count 1,"
            "seconds 60; sid:1;)")
    a = DetectEngine([rule(text)], EngineSettings())
    b = DetectEngine([rule(text)], EngineSettings())
    assert a.inspect(packet()) and b.inspect(packet())


def test_suppressed_match_still_sets_flowbits():
    eng = DetectEngine([
        rule("alert tcp any any -> any any (flowbits:set,x; threshold:type threshold,"
             "track by_src,count 5,seconds 60; sid:1;)"),
        rule("alert tcp any any -> any any (flowbits:isset,x; sid:2;)")], EngineSettings())
    assert [a.rule.sid for a in eng.inspect(packet(flow=make_flow()))] == [2]


def test_suppressed_pass_rule_does_not_pass():
    eng = DetectEngine([
        rule("pass tcp any any -> any any (threshold:type threshold,track by_src,count 2,"
             "seconds 60; sid:1;)"),
        rule("alert tcp any any -> any any (sid:2;)")], EngineSettings())
    assert [a.rule.sid for a in eng.inspect(packet())] == [2]
    assert [a.rule.sid for a in eng.inspect(packet())] == []
