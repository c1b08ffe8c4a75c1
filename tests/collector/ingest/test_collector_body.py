"""Body handling: bounded gzip and validation messages (property tests)."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.ingest.body import gunzip_bounded, location
from yamori.errors import IngestError


@given(st.binary(max_size=4096))
def test_gunzip_roundtrips_within_the_limit(data: bytes) -> None:
    assert gunzip_bounded(gzip.compress(data), 4096) == data


@given(st.binary(min_size=1, max_size=4096))
def test_gunzip_never_returns_more_than_the_limit(data: bytes) -> None:
    limit = len(data) - 1
    with pytest.raises(IngestError) as info:
        gunzip_bounded(gzip.compress(data), limit)
    assert info.value.status == 413


@given(st.binary(max_size=512), st.binary(max_size=512))
def test_gunzip_reads_every_member(first: bytes, second: bytes) -> None:
    assert gunzip_bounded(gzip.compress(first) + gzip.compress(second), 1024) == first + second


@given(st.binary(min_size=1, max_size=512))
def test_truncated_gzip_is_400(data: bytes) -> None:
    body = gzip.compress(data)[:-9]  # drops the trailer and part of the stream
    with pytest.raises(IngestError) as info:
        gunzip_bounded(body, 4096)
    assert info.value.status == 400


@given(st.lists(st.one_of(st.integers(min_value=0, max_value=999),
                          st.from_regex(r"[a-z_]{1,8}", fullmatch=True)), max_size=5))
def test_location_mentions_every_part(loc: list[int | str]) -> None:
    text = location(("alerts", *loc))
    for part in loc:
        assert (f"[{part}]" if isinstance(part, int) else f".{part}") in text


def test_location_reads_like_a_path() -> None:
    assert location(("alerts", 3, "alert", "signature_id")) == "alerts[3].alert.signature_id"
