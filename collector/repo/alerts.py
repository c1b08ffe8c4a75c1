"""Queries on `alerts`: idempotent insert and the feed.

Owns: the idempotent insert (`INSERT … ON CONFLICT (alert_id) DO NOTHING`
executemany, so a concurrent twin never raises and duplicates are counted),
finding which rows of a batch are not stored yet, and the feed query with
its filters, tenant scope and id cursors. Does not own: turning wire records
into rows (ingest/rows.py), grouping into incidents (incidents/grouping.py)
or HTTP parameters (api/deps.py).

Severity follows Suricata: 1 is the most severe, so `min_severity=2` keeps
alerts of severity 1 and 2 (severity <= 2).

How the feed stays fast at a million alerts (bench/console_feed.py shows
the plans): a page is chosen as ids only, then its rows are read by primary
key. Which index drives the choice is decided here, not left to SQLite's
planner, which without statistics reads the whole table newest first for a
`since` that matches nothing. In order:
- a filter on one value (a tenant, a sensor, a sid, a category, an
  address) reads its (column, id) index newest first and stops after a page;
  a tenant or sensor with a time range reads its (column, ts_epoch) range
  and sorts it;
- a triage state walks the incidents in that state, newest alert first, and
  reads each one's (incident_id, id) index, stopping as soon as no further
  incident can hold a newer alert (`_state_page`);
- a filter on several values (the sids a signature search matched, the
  spellings of an IPv6 address, the severities up to min_severity) reads a
  page per value, each in id order, and merges them (`_fanned_page`);
- a time range alone reads its ts_epoch index range and sorts the ids;
- nothing: the table, newest first.
"""

from __future__ import annotations

import heapq
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.incidents.models import Incident, IncidentSensor
from collector.incidents.signatures import matching_signatures
from collector.models import Alert, Signature

ID_CHUNK = 500
# Above this many values a filter is one IN clause instead of one page per value.
MAX_FAN_OUT = 400
# Severities read one by one before the rest is read as one range (Suricata's are 1-4).
SEVERITY_FAN_OUT = 8
# Incidents a state walk visits before it hands the rest to one plain query.
MAX_WALK = 2000
WALK_CHUNK = 200


@dataclass(slots=True, frozen=True)
class FeedFilter:
    """What the feed and the stream select; None means "any".

    `scope_tenant` is the signed-in user's tenant limit (customer viewers):
    unlike `tenant`, which the user chose, it is always applied.
    """

    since_epoch: float | None = None
    until_epoch: float | None = None
    min_severity: int | None = None
    sensor_id: str | None = None
    tenant: str | None = None
    signature_id: int | None = None
    category: str | None = None
    signature_text: str | None = None
    src_ip: str | None = None
    dest_ip: str | None = None
    state: str | None = None
    after_id: int | None = None
    before_id: int | None = None
    scope_tenant: str | None = None


@dataclass(slots=True)
class FeedPage:
    """One page of the feed, as the API answers it."""

    alerts: list[dict[str, Any]]
    next_before_id: int | None
    next_after_id: int | None


def insert_new_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose alert_id is not stored yet (caller commits); return how many.

    Rows repeating an alert_id, stored before or earlier in `rows`, are skipped
    by the database itself, so the count is exact even against a concurrent
    twin. Core executemany, not the ORM: this is the collector's hot path.
    """
    return len(insert_alert_rows(session, rows))


def insert_alert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert the rows whose alert_id is not stored yet (caller commits).

    Returns {alert_id: id} of the rows this insert stored: what RETURNING
    reports, so a row a concurrent twin stored first is not counted.
    """
    if not rows:
        return {}
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        stmt: Any = sqlite.insert(Alert)
    elif dialect == "postgresql":
        stmt = postgresql.insert(Alert)
    else:
        raise NotImplementedError(f"idempotent alert insert for dialect {dialect!r}")
    stmt = stmt.on_conflict_do_nothing(index_elements=["alert_id"])
    returned = conn.execute(stmt.returning(Alert.alert_id, Alert.id), list(rows))
    return {alert_id: ident for alert_id, ident in returned}


def unstored_rows(session: Session, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose alert_id is neither stored nor repeated earlier in `rows`."""
    ids = list(dict.fromkeys(row["alert_id"] for row in rows))
    known: set[str] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        known.update(session.scalars(select(Alert.alert_id).where(Alert.alert_id.in_(chunk))))
    fresh: list[dict[str, Any]] = []
    for row in rows:
        if row["alert_id"] not in known:
            known.add(row["alert_id"])
            fresh.append(row)
    return fresh


def feed_page(session: Session, flt: FeedFilter, limit: int) -> FeedPage:
    """Newest first, or oldest first after `after_id` (the live-client cursor)."""
    ascending = flt.after_id is not None
    rows = _rows(session, page_ids(session, flt, limit, ascending))
    alerts = [public_alert(row) for row in rows]
    next_before = rows[-1].id if rows and not ascending and len(rows) == limit else None
    next_after = rows[-1].id if rows and ascending else flt.after_id
    return FeedPage(alerts, next_before, next_after)


def alerts_after(session: Session, flt: FeedFilter, after_id: int, limit: int) -> list[Alert]:
    """Up to `limit` alerts with id > after_id, oldest first (for the stream)."""
    cursor = replace(flt, after_id=max(after_id, flt.after_id or 0))
    return _rows(session, page_ids(session, cursor, limit, ascending=True))


def last_alert_id(session: Session) -> int:
    """The highest id stored, 0 when empty."""
    return session.scalar(select(func.max(Alert.id))) or 0


def public_alert(row: Alert) -> dict[str, Any]:
    """The full EVE record plus the collector's fields, as the API shows it."""
    record: dict[str, Any] = {"id": row.id}
    record.update(json.loads(row.eve))
    record.update(alert_id=row.alert_id, sensor_id=row.sensor_id, tenant=row.tenant,
                  incident_id=row.incident_id)
    return record


def address_forms(text: str) -> list[str]:
    """The spellings an address may be stored in: as given, and for IPv6 compressed
    and exploded (Suricata writes IPv6 addresses with every zero, other tools compress)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return [text]
    if address.version == 4:
        return list(dict.fromkeys([text, str(address)]))
    return list(dict.fromkeys([text, address.compressed, address.exploded]))


def page_ids(session: Session, flt: FeedFilter, limit: int, ascending: bool) -> list[int]:
    """The ids of one page: newest first, or oldest first when `ascending`."""
    if flt.state is not None:
        return _state_page(session, flt, limit, ascending)
    plan = _plan(session, flt)
    if plan is None:
        return []
    if plan.arms:
        return _fanned_page(session, plan.clauses, plan.arms, limit, ascending)
    # Oldest first is the live cursor (a stream a poll behind the newest id):
    # reading on from it beats any range.
    return _one_page(session, plan.clauses, limit, ascending,
                     by_range=plan.by_range and not ascending)


@dataclass(slots=True)
class _Plan:
    """A feed query: clauses always applied, and the alternatives to read one by one."""

    clauses: list[Any]
    arms: list[Any]
    by_range: bool = False  # drive by the ts_epoch range, not by id order


@dataclass(slots=True)
class _Choice:
    """A filter on several values: one clause per value, and all of them as one clause."""

    arms: list[Any]
    any_of: Any


def _plan(session: Session, flt: FeedFilter) -> _Plan | None:
    """How to read `flt`'s page; None when it cannot match anything."""
    choices = _choices(session, flt)
    if choices is None:
        return None
    ranged = list(_ranged_equalities(flt))
    equal = list(_equalities(flt)) + [c.any_of for c in choices if len(c.arms) == 1]
    several = [c for c in choices if len(c.arms) > 1]
    has_range = flt.since_epoch is not None or flt.until_epoch is not None
    clauses = ranged + equal + list(_bounds(flt))
    driven = bool(ranged or equal)
    fan = None if driven else next((c for c in several if len(c.arms) <= MAX_FAN_OUT), None)
    clauses += [c.any_of for c in several if c is not fan]
    if fan is not None:
        return _Plan(clauses + _severity(flt), fan.arms)
    if not driven and not has_range and flt.min_severity is not None:
        return _Plan(clauses, _severity_arms(flt.min_severity))
    # A tenant's or sensor's time range reads (column, ts_epoch): one quiet in
    # the range would otherwise be read newest first down to its oldest alert.
    return _Plan(clauses + _severity(flt), [], by_range=has_range and not equal)


def _ranged_equalities(flt: FeedFilter) -> Iterable[Any]:
    """Tenant and sensor filters: their columns lead (column, id) and (column, ts_epoch)."""
    equal = [(Alert.tenant, flt.scope_tenant), (Alert.tenant, flt.tenant),
             (Alert.sensor_id, flt.sensor_id)]
    return (column == value for column, value in equal if value is not None)


def _equalities(flt: FeedFilter) -> Iterable[Any]:
    """The other filters on one value of a column that leads a (column, id) index."""
    equal = [(Alert.signature_id, flt.signature_id), (Alert.category, flt.category)]
    return (column == value for column, value in equal if value is not None)


def _bounds(flt: FeedFilter) -> Iterable[Any]:
    if flt.since_epoch is not None:
        yield Alert.ts_epoch >= flt.since_epoch
    if flt.until_epoch is not None:
        yield Alert.ts_epoch < flt.until_epoch
    if flt.after_id is not None:
        yield Alert.id > flt.after_id
    if flt.before_id is not None:
        yield Alert.id < flt.before_id


def _severity(flt: FeedFilter) -> list[Any]:
    return [] if flt.min_severity is None else [Alert.severity <= flt.min_severity]


def _severity_arms(min_severity: int) -> list[Any]:
    arms: list[Any] = [Alert.severity == v
                       for v in range(1, min(min_severity, SEVERITY_FAN_OUT) + 1)]
    if min_severity > SEVERITY_FAN_OUT:
        arms.append(Alert.severity.between(SEVERITY_FAN_OUT + 1, min_severity))
    return arms


def _choices(session: Session, flt: FeedFilter) -> list[_Choice] | None:
    """The address and signature-search filters; None when the search matched nothing."""
    choices: list[_Choice] = []
    for column, text in ((Alert.src_ip, flt.src_ip), (Alert.dest_ip, flt.dest_ip)):
        if text is not None:
            forms = address_forms(text)
            choices.append(_Choice([column == form for form in forms], column.in_(forms)))
    if flt.signature_text:
        found = _signature_choice(session, flt.signature_text)
        if found is None:
            return None
        choices.append(found)
    return sorted(choices, key=lambda c: len(c.arms))


def _signature_choice(session: Session, text: str) -> _Choice | None:
    """One clause per matching sid; with its gid only where another gid shares the sid."""
    pairs = [(gid, sid) for gid, sids in matching_signatures(session, text).items()
             for sid in sids]
    if not pairs:
        return None
    sids = sorted({sid for _, sid in pairs})
    shared: set[int] = set()
    for start in range(0, len(sids), ID_CHUNK):
        stmt = (select(Signature.sid).where(Signature.sid.in_(sids[start:start + ID_CHUNK]))
                .group_by(Signature.sid).having(func.count(Signature.gid.distinct()) > 1))
        shared.update(session.scalars(stmt))
    plain = [sid for sid in sids if sid not in shared]
    exact = [(Alert.signature_id == sid) & (Alert.gid == gid) for gid, sid in pairs
             if sid in shared]
    arms: list[Any] = [Alert.signature_id == sid for sid in plain] + exact
    return _Choice(arms, or_(Alert.signature_id.in_(plain), *exact))


def _state_page(session: Session, flt: FeedFilter, limit: int, ascending: bool) -> list[int]:
    """Walk the incidents in the state, newest alert first, reading each one's alerts.

    An incident's alerts all have ids up to its last_alert_id, so once a page
    is full and the next incident's last_alert_id is below the page's oldest
    id, no further incident can change the page. What every alert of an
    incident shares (tenant, rule, addresses) is checked on the incident, so
    each incident's read is the (incident_id, id) index alone.
    """
    incidents = _incident_clauses(session, flt)
    clauses = [*_bounds(flt), *_severity(flt)]
    for column, value in ((Alert.sensor_id, flt.sensor_id), (Alert.category, flt.category)):
        if value is not None:
            clauses.append(column == value)
    best: list[int] = []  # a heap: the page so far (ids negated when ascending)
    for visited, (ident, last) in enumerate(_walk(session, incidents)):
        if not ascending and len(best) >= limit and last < best[0]:
            break
        if visited == MAX_WALK:
            within = Alert.incident_id.in_(select(Incident.id).where(*incidents))
            return _one_page(session, [*clauses, within], limit, ascending)
        for alert_id in _one_page(session, [*clauses, Alert.incident_id == ident], limit,
                                  ascending):
            heapq.heappush(best, -alert_id if ascending else alert_id)
            if len(best) > limit:
                heapq.heappop(best)
    ids = sorted(-i if ascending else i for i in best)
    return ids if ascending else ids[::-1]


def _walk(session: Session, incidents: list[Any]) -> Iterable[Any]:
    """(id, last_alert_id) of the incidents, highest last_alert_id first, a chunk at a time."""
    bound: int | None = None
    while True:
        stmt = select(Incident.id, Incident.last_alert_id).where(*incidents)
        if bound is not None:
            stmt = stmt.where(Incident.last_alert_id < bound)
        chunk = session.execute(
            stmt.order_by(Incident.last_alert_id.desc()).limit(WALK_CHUNK)).all()
        yield from chunk
        if len(chunk) < WALK_CHUNK:
            return
        bound = chunk[-1][1]


def _incident_clauses(session: Session, flt: FeedFilter) -> list[Any]:
    """The incidents that can hold alerts matching `flt`: its state, and what all of an
    incident's alerts share (tenant, rule, addresses) or bound (sensors, severity, time)."""
    clauses: list[Any] = [Incident.state == flt.state]
    for column, value in ((Incident.tenant, flt.scope_tenant), (Incident.tenant, flt.tenant),
                          (Incident.signature_id, flt.signature_id)):
        if value is not None:
            clauses.append(column == value)
    for column, text in ((Incident.src_ip, flt.src_ip), (Incident.dest_ip, flt.dest_ip)):
        if text is not None:
            clauses.append(column.in_(address_forms(text)))
    if flt.signature_text:
        found = matching_signatures(session, flt.signature_text)
        clauses.append(or_(*[(Incident.gid == gid) & Incident.signature_id.in_(sids)
                             for gid, sids in found.items()]))
    if flt.sensor_id is not None:
        clauses.append(Incident.id.in_(select(IncidentSensor.incident_id)
                                       .where(IncidentSensor.sensor_id == flt.sensor_id)))
    if flt.min_severity is not None:
        clauses.append(Incident.severity <= flt.min_severity)
    if flt.since_epoch is not None:
        clauses.append(Incident.last_seen >= flt.since_epoch)
    if flt.until_epoch is not None:
        clauses.append(Incident.first_seen < flt.until_epoch)
    if flt.after_id is not None:
        clauses.append(Incident.last_alert_id > flt.after_id)
    return clauses


def _one_page(session: Session, clauses: list[Any], limit: int, ascending: bool,
              by_range: bool = False) -> list[int]:
    # `id + 0` orders by the value, not by the rowid/primary key index, so the
    # database reads the ts_epoch range and sorts it rather than scanning the
    # table newest first for rows in the range.
    key = Alert.id + 0 if by_range else Alert.id
    stmt = (select(Alert.id).where(*clauses)
            .order_by(key.asc() if ascending else key.desc()).limit(limit))
    return list(session.scalars(stmt))


def _fanned_page(session: Session, clauses: list[Any], alternatives: list[Any], limit: int,
                 ascending: bool) -> list[int]:
    """One page per alternative value, merged: each reads its own index in id order."""
    pages = [_one_page(session, [*clauses, alt], limit, ascending) for alt in alternatives]
    merged = heapq.merge(*pages, reverse=not ascending)
    return list(dict.fromkeys(merged))[:limit]


def _rows(session: Session, ids: list[int]) -> list[Alert]:
    if not ids:
        return []
    found = {row.id: row for row in session.scalars(select(Alert).where(Alert.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
