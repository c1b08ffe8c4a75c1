"""uplink.backoff: full-jitter delays."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from uplink.backoff import full_jitter


@given(
    attempt=st.integers(0, 10_000),
    base=st.floats(0.001, 10),
    cap=st.floats(0.01, 600),
    seed=st.integers(),
    retry_after=st.none() | st.floats(0, 10_000),
)
def test_delay_is_within_zero_and_cap_and_honours_retry_after(
    attempt, base, cap, seed, retry_after
) -> None:
    delay = full_jitter(attempt, base, cap, random.Random(seed), retry_after)
    assert 0 <= delay <= cap
    if retry_after is not None:
        assert delay >= min(retry_after, cap)


def test_first_retry_is_bounded_by_base() -> None:
    rng = random.Random(1)
    assert all(full_jitter(1, 0.5, 60, rng) <= 0.5 for _ in range(200))


def test_bound_grows_exponentially_until_cap() -> None:
    rng = random.Random(2)
    assert max(full_jitter(4, 0.5, 60, rng) for _ in range(500)) > 2.0
    assert max(full_jitter(40, 0.5, 60, rng) for _ in range(500)) <= 60


def test_retry_after_is_a_floor() -> None:
    assert full_jitter(1, 0.5, 60, random.Random(3), retry_after=7) == 7
