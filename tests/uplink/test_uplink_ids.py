"""uplink.ids: UUIDv7 layout (RFC 9562 §5.7) and ordering."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from uplink import ids
from uplink.ids import new_alert_id, uuid7_from


@pytest.fixture
def fresh_generator(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Forget earlier ids, so a faked clock is not "behind" the real one."""
    monkeypatch.setattr(ids, "_last_ms", -1)
    return monkeypatch


def test_new_alert_id_has_version_7_and_rfc_variant() -> None:
    u = uuid.UUID(new_alert_id())
    assert u.version == 7
    assert u.variant == uuid.RFC_4122


def test_new_alert_id_carries_current_unix_ms() -> None:
    before = time.time_ns() // 1_000_000
    u = uuid.UUID(new_alert_id())
    after = time.time_ns() // 1_000_000
    assert before <= u.int >> 80 <= after + 1


def test_ids_made_within_one_millisecond_are_strictly_increasing(fresh_generator) -> None:
    monkeypatch = fresh_generator
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_700_000_000_123_000_000)
    made = [new_alert_id() for _ in range(1000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {uuid.UUID(m).int >> 80 for m in made} == {1_700_000_000_123}


def test_ids_keep_increasing_when_the_clock_steps_back(fresh_generator) -> None:
    monkeypatch = fresh_generator
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_800_000_000_000_000_000)
    first = new_alert_id()
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_799_999_999_000_000_000)
    assert new_alert_id() > first


def test_counter_rollover_moves_to_the_next_millisecond(fresh_generator) -> None:
    monkeypatch = fresh_generator
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_900_000_000_000_000_000)
    first = new_alert_id()
    monkeypatch.setattr(ids, "_counter", ids._COUNTER_MAX)
    second = new_alert_id()
    assert second > first
    assert uuid.UUID(second).int >> 80 == (uuid.UUID(first).int >> 80) + 1


@given(
    ms=st.integers(0, 2**48 - 1),
    counter=st.integers(0, 2**42 - 1),
    tail=st.integers(0, 2**32 - 1),
)
def test_layout_keeps_version_and_variant_for_any_parts(ms: int, counter: int, tail: int) -> None:
    u = uuid7_from(ms, counter, tail)
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert u.int >> 80 == ms


@given(
    a=st.tuples(st.integers(0, 2**48 - 1), st.integers(0, 2**42 - 1)),
    b=st.tuples(st.integers(0, 2**48 - 1), st.integers(0, 2**42 - 1)),
    tail=st.integers(0, 2**32 - 1),
)
def test_string_order_follows_timestamp_then_counter(a, b, tail) -> None:
    sa, sb = str(uuid7_from(*a, tail)), str(uuid7_from(*b, tail))
    assert (sa < sb) == (a < b)
