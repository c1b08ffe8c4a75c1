"""Quiet hours and the retry schedule: pure functions, with a JST clock."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from collector.notify.quiet import QuietHours, is_low, parse_hhmm
from collector.notify.settings import NotifySettings
from yamori.errors import IngestError

JST = ZoneInfo("Asia/Tokyo")
NIGHT = QuietHours(time(22, 0), time(7, 0), JST)


def jst(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=JST)


def test_late_evening_is_held_until_next_morning() -> None:
    assert NIGHT.release_time(jst(1, 23, 30)) == jst(2, 7).astimezone(UTC)


def test_small_hours_are_held_until_the_same_morning() -> None:
    assert NIGHT.release_time(jst(2, 3, 0)) == jst(2, 7).astimezone(UTC)


def test_window_start_is_inside_and_end_is_outside() -> None:
    assert NIGHT.release_time(jst(1, 22, 0)) == jst(2, 7).astimezone(UTC)
    assert NIGHT.release_time(jst(2, 7, 0)) is None


def test_daytime_is_not_held() -> None:
    assert NIGHT.release_time(jst(1, 12, 0)) is None


def test_window_within_one_day() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0), JST)
    assert lunch.release_time(jst(1, 12, 30)) == jst(1, 13).astimezone(UTC)
    assert lunch.release_time(jst(1, 13, 30)) is None


def test_window_is_read_in_the_contacts_zone() -> None:
    # 23:30 in Tokyo is 14:30 UTC: inside a JST night window, outside a UTC one.
    moment = jst(1, 23, 30)
    assert QuietHours(time(22, 0), time(7, 0), ZoneInfo("UTC")).release_time(moment) is None


def test_only_low_severity_is_held() -> None:
    assert [is_low(s) for s in (1, 2, 3, 4)] == [False, False, True, True]


@pytest.mark.parametrize("text", ["24:00", "7:00", "07:60", "noon", ""])
def test_bad_times_are_refused_with_the_field_named(text: str) -> None:
    with pytest.raises(IngestError, match="quiet_hours.start") as info:
        parse_hhmm(text, "quiet_hours.start")
    assert info.value.status == 422


def test_backoff_doubles_from_one_second_and_is_capped() -> None:
    schedule = NotifySettings(retry_cap_seconds=10.0)
    assert [schedule.backoff(n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
