"""The filter forms of the feed and incident pages, mapped onto the API's query parameters.

Owns: reading a page's query string into the filter parameters it knows
(empty form fields dropped, so an untouched field means "any"), turning the
numeric ones into ints with a clear 422, and the values the form shows back
(the time range as a JST `datetime-local` value). The form's field names
*are* the JSON API's parameter names, so a page's query string works
unchanged on GET /api/v1/alerts or /api/v1/incidents and as a saved filter.
Does not own: what the filters mean (collector/api/deps.py,
collector/incidents/routes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from collector.console.templating import TOKYO
from yamori.errors import IngestError

COMMON_FIELDS = ("tenant", "sensor", "min_severity", "category", "q", "src_ip", "dest_ip",
                 "since", "until", "state", "sid")
FEED_FIELDS = (*COMMON_FIELDS, "before_id")
INCIDENT_FIELDS = (*COMMON_FIELDS, "assignee", "before")
# The parameters the alert stream also takes: the incident page listens to the
# stream for these and re-reads its first page on any alert.
STREAM_FIELDS = ("tenant", "sensor", "min_severity", "category", "q", "src_ip", "dest_ip",
                 "sid")
INT_RANGES = {"min_severity": (1, 2**31 - 1), "sid": (0, 2**32 - 1),
              "before_id": (1, 2**63 - 1)}
MAX_VALUE_CHARS = 256


@dataclass(slots=True, frozen=True)
class FormQuery:
    """The non-empty filter parameters of one page request, in form order."""

    values: dict[str, str]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def text(self, *drop: str) -> str:
        """As a query string (without '?'), leaving out the names in `drop`."""
        return urlencode([(k, v) for k, v in self.values.items() if k not in drop])

    def only(self, names: tuple[str, ...]) -> str:
        """The query string of just the parameters in `names`."""
        return urlencode([(k, v) for k, v in self.values.items() if k in names])

    def typed(self) -> dict[str, Any]:
        """The parameters as the API's filter builders take them; 422 for a bad number."""
        return {name: _typed(name, value) for name, value in self.values.items()}

    def local_time(self, name: str) -> str:
        """The `since`/`until` value as a JST `datetime-local` value ('' if absent or odd)."""
        return local_jst(self.get(name))


def form_query(request: Request, fields: tuple[str, ...]) -> FormQuery:
    """The parameters of `request` among `fields`, blanks dropped, stripped."""
    values: dict[str, str] = {}
    for name in fields:
        value = request.query_params.get(name, "").strip()
        if value:
            if len(value) > MAX_VALUE_CHARS:
                raise IngestError(f"{name}: at most {MAX_VALUE_CHARS} characters", 422)
            values[name] = value
    return FormQuery(values)


def _typed(name: str, value: str) -> Any:
    if name not in INT_RANGES:
        return value
    low, high = INT_RANGES[name]
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise IngestError(f"{name}: want a whole number from {low} to {high}, got {value!r}",
                          422)
    return int(value)


def local_jst(text: str) -> str:
    """An ISO time or epoch seconds as `YYYY-MM-DDTHH:MM` in Asia/Tokyo; '' when unparsable."""
    if not text:
        return ""
    try:
        when = datetime.fromtimestamp(float(text), TOKYO)
    except (ValueError, OverflowError, OSError):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return ""
        if when.tzinfo is None:  # the API reads a time without offset as UTC
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(TOKYO)
    return when.strftime("%Y-%m-%dT%H:%M")
