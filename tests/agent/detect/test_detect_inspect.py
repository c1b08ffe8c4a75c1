"""Content inspection semantics (detect-engine-content-inspection.c)."""

from hypothesis import given
from hypothesis import strategies as st

from agent.detect.inspect import contents_match
from agent.detect.testing import rule


def hit(options: str, payload: bytes) -> bool:
    r = rule(f"alert tcp any any -> any any ({options} sid:1;)")
    return contents_match(r.contents, payload)


def test_plain_content():
    assert hit('content:"abc";', b"xxabcxx") and not hit('content:"abd";', b"xxabcxx")


def test_hex_and_escapes():
    assert hit('content:"|41 42|C\\;";', b"zABC;")


def test_nocase():
    assert hit('content:"ABC"; nocase;', b"xabcx") and not hit('content:"ABC";', b"xabcx")


def test_offset_and_depth_window():
    assert hit('content:"abc"; offset:2; depth:3;', b"xxabc")
    assert not hit('content:"abc"; offset:2; depth:3;', b"xxxabc")
    assert not hit('content:"abc"; offset:3;', b"xxabc")


def test_depth_before_offset_is_same_window():
    assert hit('content:"abc"; depth:3; offset:2;', b"xxabc")


def test_distance_relative_to_previous_match_end():
    assert hit('content:"ab"; content:"cd"; distance:2;', b"abxxcd")
    assert not hit('content:"ab"; content:"cd"; distance:3;', b"abxxcd")


def test_within_limits_window():
    assert hit('content:"ab"; content:"cd"; within:4;', b"abxxcd")
    assert not hit('content:"ab"; content:"cd"; within:3;', b"abxxcd")


def test_negative_distance():
    assert hit('content:"cd"; content:"ab"; distance:-4; within:2;', b"abcd")


def test_backtracking_retries_previous_occurrence():
    # the first "ab" has no "cd" right after it; the second one does
    assert hit('content:"ab"; content:"cd"; within:2;', b"ab--abcd")


def test_no_backtracking_when_next_has_only_distance_and_depth():
    # Suricata retries only when the next content has `within`
    assert hit('content:"ab"; content:"cd"; distance:0;', b"ab--abcd")


def test_negated_content_absent():
    assert hit('content:!"evil";', b"good") and not hit('content:!"evil";', b"so evil")


def test_negated_relative_content_retries_previous():
    assert hit('content:"a"; content:!"b"; within:1;', b"ab ac")
    assert not hit('content:"a"; content:!"b"; within:1;', b"ab ab")


def test_first_content_with_distance_is_relative_to_start():
    assert hit('content:"cd"; distance:2;', b"abcd")
    assert not hit('content:"ab"; distance:1;', b"abcd")


def test_negative_within_limit_means_no_limit():
    assert hit('content:"abcd"; content:"x"; distance:-10; within:1;', b"abcdx")


@given(st.binary(min_size=1, max_size=6), st.binary(max_size=40))
def test_single_content_is_substring_search(pattern, payload):
    escaped = "".join(f"|{b:02x}|" for b in pattern)
    assert hit(f'content:"{escaped}";', payload) is (pattern in payload)


@given(st.binary(max_size=30), st.integers(0, 10), st.integers(1, 10))
def test_offset_depth_property(payload, offset, depth):
    r = rule(f'alert tcp any any -> any any (content:"a"; offset:{offset}; depth:{depth}; sid:1;)')
    assert contents_match(r.contents, payload) is (b"a" in payload[offset:offset + depth])


@given(st.binary(max_size=30), st.integers(-5, 5), st.integers(2, 8))
def test_two_content_relative_property(payload, distance, within):
    r = rule('alert tcp any any -> any any (content:"a"; content:"b"; '
             f'distance:{distance}; within:{within}; sid:1;)')
    expected = False
    for i in range(len(payload)):
        if payload[i:i + 1] != b"a":
            continue
        start = max(0, i + 1 + distance)
        end = i + 1 + distance + within
        if end < 0:
            end = len(payload)
        if b"b" in payload[start:min(end, len(payload))]:
            expected = True
            break
    assert contents_match(r.contents, payload) is expected
