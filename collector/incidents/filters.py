"""Saved filters: a user's named query strings for the feed and the incident list.

Owns: listing, saving (same name again replaces the query) and deleting a
user's saved filters, and checking that a query string names only known
filter parameters, so a typo is refused when saved rather than silently
ignored when applied. Filters belong to one user: every query takes the
username, and another user's filter id looks absent (404). Applying a
filter is the client's job (it is the query string of GET /api/v1/alerts or
/incidents), where the user's tenant scope applies as always.
Does not own: HTTP (routes.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.incidents.models import SavedFilter
from yamori.errors import IngestError

FILTER_PARAMS = frozenset({
    "since", "until", "min_severity", "sensor", "tenant", "sid", "category", "q", "src_ip",
    "dest_ip", "state", "assignee", "limit",
})
MAX_FILTERS_PER_USER = 200


def check_query(query: str) -> str:
    """`query` without a leading '?', if every parameter is a known filter; 422 otherwise."""
    text = query.strip().removeprefix("?")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError as exc:
        raise IngestError(f"query: not a query string: {query!r}", 422) from exc
    unknown = sorted({key for key, _ in pairs} - FILTER_PARAMS)
    if unknown:
        raise IngestError(f"query: unknown filter parameter(s): {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(FILTER_PARAMS))}", 422)
    return text


def saved_filters(session: Session, username: str) -> list[SavedFilter]:
    """The user's saved filters, by name."""
    stmt = select(SavedFilter).where(SavedFilter.username == username).order_by(SavedFilter.name)
    return list(session.scalars(stmt))


def save_filter(session: Session, username: str, name: str, query: str,
                now: datetime | None = None) -> SavedFilter:
    """Save (or replace, by name) one of the user's filters; commits."""
    when = now or datetime.now(UTC)
    text = check_query(query)
    row = session.scalar(select(SavedFilter).where(SavedFilter.username == username,
                                                   SavedFilter.name == name))
    if row is None:
        if len(saved_filters(session, username)) >= MAX_FILTERS_PER_USER:
            raise IngestError(f"at most {MAX_FILTERS_PER_USER} saved filters per user", 409)
        row = SavedFilter(username=username, name=name, query=text, created_at=when,
                          updated_at=when)
        session.add(row)
    else:
        row.query, row.updated_at = text, when
    session.commit()
    return row


def delete_filter(session: Session, username: str, filter_id: int) -> None:
    """Delete one of the user's filters; 404 when it is not theirs (or absent); commits."""
    row = session.get(SavedFilter, filter_id) if 0 < filter_id < 2**63 else None
    if row is None or row.username != username:
        raise IngestError(f"saved filter {filter_id} not found", 404)
    session.delete(row)
    session.commit()
