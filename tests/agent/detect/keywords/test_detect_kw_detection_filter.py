import pytest

from agent.detect.engine import DetectEngine
from agent.detect.keywords.detection_filter import parse
from agent.detect.testing import packet, rule
from agent.detect.threshold import ThresholdSpec
from agent.engines.base import EngineSettings
from yamori.errors import RuleParseError

T0 = 1714557600.0


def test_parse_valid():
    assert parse("track by_dst, count 10, seconds 60") == \
        ThresholdSpec("detection", "by_dst", 10, 60)


def test_parse_any_order():
    assert parse("seconds 60,track by_src,count 1") == ThresholdSpec("detection", "by_src", 1, 60)


@pytest.mark.parametrize("text", [
    "", "track both, count 10, seconds 60", "count 10, track by_dst, seconds 60, count 10",
    "count 10, track by_dst, seconds 0", "count 0, track by_dst, seconds 10",
    "track by_rule, count 1, seconds 1", "track by_src, count 1, seconds 1 x",
])
def test_parse_invalid(text):
    with pytest.raises(RuleParseError):
        parse(text)


def test_parse_by_flow():
    assert parse("track by_flow, count 1, seconds 60").track == "by_flow"


def test_unique_on_is_unsupported():
    with pytest.raises(RuleParseError) as exc:
        parse("track by_src, count 1, seconds 60, unique_on src_port")
    assert exc.value.unsupported == "detection_filter"


def test_with_threshold_is_a_parse_error():
    with pytest.raises(RuleParseError):
        rule("alert ip any any -> any any (threshold:type limit,track by_src,count 1,seconds 1;"
             " detection_filter:track by_src,count 1,seconds 1; sid:1;)")


def run(times: list[float]) -> list[bool]:
    eng = DetectEngine([rule("alert tcp any any -> any any (detection_filter:track by_dst,"
                             "count 2,seconds 10; sid:1;)")], EngineSettings())
    return [bool(eng.inspect(packet(ts=T0 + t))) for t in times]


def test_alerts_on_every_match_after_count():
    assert run([0, 1, 2, 3]) == [False, False, True, True]


def test_window_expiry_restarts_count():
    assert run([0, 1, 2, 20, 21, 22]) == [False, False, True, False, False, True]
