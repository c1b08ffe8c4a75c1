"""Quiet hours: when a low-severity notice must wait, and until when.

Owns: parsing "HH:MM", the window (which may run past midnight, 22:00-07:00)
in the contact's own time zone, and `release_time`, the end of the window a
moment falls in. Only low-severity notices (Suricata severity 3 and above)
are held, never dropped; serious ones go at any hour. Does not own: storing
contacts (contacts.py) or the notices' schedule (queue.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yamori.errors import IngestError

# Suricata severity: 1 high, 2 medium, 3 low (4 and above: informational).
LOW_SEVERITY = 3
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str, field: str) -> time:
    """"07:30" as a time; 422 naming `field` otherwise."""
    match = _HHMM.match(text.strip())
    if match is None:
        raise IngestError(f"{field}: expected HH:MM (00:00-23:59), got {text!r}", 422)
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA time zone `name`; 422 naming `field` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise IngestError(f"{field}: unknown time zone {name!r}", 422) from exc


def is_low(severity: int) -> bool:
    """Whether quiet hours apply to a notice of this severity."""
    return severity >= LOW_SEVERITY


@dataclass(slots=True, frozen=True)
class QuietHours:
    """A daily window in local time; start == end means no window."""

    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def of(cls, start: str | None, end: str | None, tz: str) -> QuietHours | None:
        """The window stored on a contact, or None when it has none."""
        if not start or not end:
            return None
        return cls(parse_hhmm(start, "quiet_hours.start"), parse_hhmm(end, "quiet_hours.end"),
                   zone(tz))

    def release_time(self, at: datetime) -> datetime | None:
        """The end of the window `at` falls in (UTC), or None when `at` is outside it."""
        if self.start == self.end:
            return None
        local = at.astimezone(self.tz)
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside, day = self.start <= now < self.end, local.date()
        else:  # past midnight: 22:00-07:00
            inside = now >= self.start or now < self.end
            day = local.date() if now < self.end else local.date() + timedelta(days=1)
        if not inside:
            return None
        return datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
