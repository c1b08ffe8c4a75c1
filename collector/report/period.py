"""The calendar month a report covers, in the report's time zone.

Owns: `ReportPeriod` — "2026-10" in Asia/Tokyo as UTC bounds [start, end),
the UTC start of each local day (for alerts per day), and where the month is
cut short because it has not ended yet (`until`). Months are parsed exactly as
the dispatch records' `month=` filter parses them (collector/notify/dispatches.py),
so both speak of the same days. Does not own: any query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from collector.notify.dispatches import month_range
from collector.notify.quiet import zone
from yamori.errors import IngestError


@dataclass(slots=True, frozen=True)
class ReportPeriod:
    """One calendar month in `tz`: [start, end) in UTC, observed up to `until`."""

    month: str  # "YYYY-MM"
    tz: str
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    until: datetime  # UTC: `end`, or the moment the report was made if the month is not over
    day_starts: tuple[datetime, ...]  # UTC start of each local day of the month

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def complete(self) -> bool:
        """Whether the month had ended when the report was made."""
        return self.until >= self.end

    @property
    def days(self) -> tuple[date, ...]:
        """The local dates of the month."""
        return tuple(d.astimezone(self.zone).date() for d in self.day_starts)

    def local(self, when: datetime) -> datetime:
        """`when` (UTC; naive means UTC) in the report's time zone."""
        aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        return aware.astimezone(self.zone)


def report_period(month: str, tz: str, now: datetime) -> ReportPeriod:
    """The period of `month` ("YYYY-MM") in `tz`, seen at `now`; 422 if malformed or to come."""
    local = zone(tz, "report time zone")
    start, end = month_range(month, tz)
    if now <= start:
        raise IngestError(f"month {month.strip()} has not begun yet", 422)
    return ReportPeriod(month=month.strip(), tz=tz, start=start, end=end, until=min(end, now),
                        day_starts=_day_starts(start, end, local))


def _day_starts(start: datetime, end: datetime, local: ZoneInfo) -> tuple[datetime, ...]:
    # Built from local dates, not by adding 24 h, so a day with a DST change stays one day.
    first = start.astimezone(local).date()
    days: list[datetime] = []
    day = first
    while True:
        begins = datetime(day.year, day.month, day.day, tzinfo=local).astimezone(UTC)
        if begins >= end:
            return tuple(days)
        days.append(begins)
        day += timedelta(days=1)
