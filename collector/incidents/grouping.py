"""Grouping alerts into incidents at ingest, in the transaction that stores them.

Owns: the grouping rule and storing a sensor's new alerts with it. Alerts of
one tenant with the same (gid, sid), source and destination address belong
to one incident while the incident is open (not resolved) and each alert's
event time lies within `window` seconds of the incident's alerts (between
first_seen - window and last_seen + window, so a late alert still joins);
otherwise the alert opens a new incident. `plan_incidents` applies the rule
to rows in memory (bench/console_feed.py fills its store with it too);
`store_grouped` loads the open incidents the rows may join, creates the new
ones, inserts the alerts with their incident_id and adds what was actually
stored to each incident's count, bounds, severity and sensors.

The caller makes this safe against concurrent batches (ingest/store.py
holds the tenant's write lock) and passes only alerts not stored yet, so a
retried batch adds nothing. Counts still come from the rows the insert
reports stored, never from the rows offered. Does not own: deduplication
(repo/alerts.py) or triage (triage.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from collector.incidents.models import Incident, IncidentSensor
from collector.incidents.signatures import upsert_signatures
from collector.incidents.states import OPEN_STATES
from collector.repo.alerts import insert_alert_rows

# (tenant, gid, sid, src_ip, dest_ip)
GroupKey = tuple[str, int, int, str, str]
SID_CHUNK = 500


@dataclass(slots=True)
class Slot:
    """One incident as grouping sees it: stored (incident_id set) or about to be created."""

    key: GroupKey
    first_seen: float
    last_seen: float
    incident_id: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def accepts(self, ts: float, window: float) -> bool:
        return self.first_seen - window <= ts <= self.last_seen + window


def group_key(row: dict[str, Any]) -> GroupKey:
    return (row["tenant"], row["gid"], row["signature_id"], row["src_ip"], row["dest_ip"])


def plan_incidents(rows: Iterable[dict[str, Any]], open_slots: dict[GroupKey, list[Slot]],
                   window: float) -> list[Slot]:
    """Put each row, in event-time order, into the open slot it falls in or a new one.

    `open_slots` gains the new slots (so it can be carried over several
    calls); returns the slots that received rows, each with its rows.
    """
    touched: dict[int, Slot] = {}
    for row in sorted(rows, key=lambda r: r["ts_epoch"]):
        ts = row["ts_epoch"]
        candidates = open_slots.setdefault(group_key(row), [])
        slot = _fitting(candidates, ts, window)
        if slot is None:
            slot = Slot(group_key(row), ts, ts)
            candidates.append(slot)
        slot.first_seen, slot.last_seen = min(slot.first_seen, ts), max(slot.last_seen, ts)
        slot.rows.append(row)
        touched[id(slot)] = slot
    return list(touched.values())


def _fitting(slots: list[Slot], ts: float, window: float) -> Slot | None:
    # Two incidents of one key may both accept a late alert: the newer one takes it.
    best: Slot | None = None
    for slot in slots:
        if slot.accepts(ts, window) and (best is None or slot.last_seen > best.last_seen):
            best = slot
    return best


def store_grouped(session: Session, tenant: str, rows: Sequence[dict[str, Any]],
                  window: float, now: datetime) -> int:
    """Insert `rows` (one tenant's, none stored yet) grouped into incidents; return how many."""
    if not rows:
        return 0
    slots = plan_incidents(rows, load_open_slots(session, tenant, rows, window), window)
    created = _create_incidents(session, [s for s in slots if s.incident_id is None], now)
    for slot in slots:
        for row in slot.rows:
            row["incident_id"] = slot.incident_id
    stored_ids = insert_alert_rows(session, rows)
    stored = [row for row in rows if row["alert_id"] in stored_ids]
    for row in stored:
        row["id"] = stored_ids[row["alert_id"]]
    touched = _apply_stored(session, stored, now)
    # Only a lost race leaves a new incident without alerts; it must not linger.
    empty = [i for i in created if i not in touched]
    if empty:
        session.execute(delete(Incident).where(Incident.id.in_(empty)))
    upsert_signatures(session, stored)
    return len(stored)


def load_open_slots(session: Session, tenant: str, rows: Sequence[dict[str, Any]],
                    window: float) -> dict[GroupKey, list[Slot]]:
    """The tenant's open incidents that rows of these signatures and times may join."""
    times = [row["ts_epoch"] for row in rows]
    low, high = min(times) - window, max(times) + window
    sids = sorted({row["signature_id"] for row in rows})
    slots: dict[GroupKey, list[Slot]] = {}
    for start in range(0, len(sids), SID_CHUNK):
        stmt = (select(Incident.id, Incident.gid, Incident.signature_id, Incident.src_ip,
                       Incident.dest_ip, Incident.first_seen, Incident.last_seen)
                .where(Incident.tenant == tenant,
                       Incident.signature_id.in_(sids[start:start + SID_CHUNK]),
                       Incident.last_seen >= low, Incident.first_seen <= high,
                       Incident.state.in_(OPEN_STATES)))
        for ident, gid, sid, src, dest, first, last in session.execute(stmt):
            key = (tenant, gid, sid, src, dest)
            slots.setdefault(key, []).append(Slot(key, first, last, ident))
    return slots


def _create_incidents(session: Session, slots: list[Slot], now: datetime) -> list[int]:
    """Insert an empty incident per new slot (counts follow the insert); return their ids."""
    if not slots:
        return []
    values = []
    for slot in slots:
        tenant, gid, sid, src, dest = slot.key
        first = slot.rows[0]
        values.append({
            "tenant": tenant, "gid": gid, "signature_id": sid, "src_ip": src, "dest_ip": dest,
            "signature": first["signature"], "category": first["category"],
            "severity": first["severity"], "count": 0, "first_seen": slot.first_seen,
            "last_seen": slot.last_seen, "last_alert_id": 0, "state": "new",
            "created_at": now, "updated_at": now})
    # Core, not the ORM: a batch of distinct alerts opens as many incidents.
    stmt = insert(Incident).returning(Incident.id, sort_by_parameter_order=True)
    ids = list(session.connection().execute(stmt, values).scalars())
    for slot, ident in zip(slots, ids, strict=True):
        slot.incident_id = ident
    return ids


@dataclass(slots=True)
class _Tally:
    count: int
    first_seen: float
    last_seen: float
    severity: int
    last_alert_id: int
    signature: str
    category: str


def _apply_stored(session: Session, stored: list[dict[str, Any]], now: datetime) -> set[int]:
    """Add the stored rows to their incidents; return the ids of incidents that got some."""
    tallies: dict[int, _Tally] = {}
    sensors: set[tuple[int, str]] = set()
    for row in stored:
        ident = row["incident_id"]
        sensors.add((ident, row["sensor_id"]))
        tally = tallies.get(ident)
        if tally is None:
            tallies[ident] = _Tally(1, row["ts_epoch"], row["ts_epoch"], row["severity"],
                                    row["id"], row["signature"], row["category"])
            continue
        tally.count += 1
        tally.first_seen = min(tally.first_seen, row["ts_epoch"])
        if row["ts_epoch"] >= tally.last_seen:
            tally.last_seen, tally.signature = row["ts_epoch"], row["signature"]
            tally.category = row["category"]
        tally.severity = min(tally.severity, row["severity"])
        tally.last_alert_id = max(tally.last_alert_id, row["id"])
    if tallies:
        session.connection().execute(_TALLY_UPDATE, [
            {"b_id": ident, "b_count": t.count, "b_first": t.first_seen, "b_last": t.last_seen,
             "b_severity": t.severity, "b_alert": t.last_alert_id, "b_signature": t.signature,
             "b_category": t.category, "b_now": now} for ident, t in tallies.items()])
        _add_sensors(session, sensors)
    return set(tallies)


# One executemany for every incident a batch touched. CASE rather than
# LEAST/GREATEST or min/max(a, b): the same text on SQLite and PostgreSQL.
_TALLY_UPDATE = (
    update(Incident)
    .where(Incident.id == bindparam("b_id"))
    .values(
        count=Incident.count + bindparam("b_count"),
        first_seen=case((Incident.first_seen > bindparam("b_first"), bindparam("b_first")),
                        else_=Incident.first_seen),
        last_seen=case((Incident.last_seen < bindparam("b_last"), bindparam("b_last")),
                       else_=Incident.last_seen),
        severity=case((Incident.severity > bindparam("b_severity"), bindparam("b_severity")),
                      else_=Incident.severity),
        last_alert_id=case((Incident.last_alert_id < bindparam("b_alert"), bindparam("b_alert")),
                           else_=Incident.last_alert_id),
        # The message and category of the newest alert: a rule's later rev may reword it.
        signature=case((Incident.last_seen <= bindparam("b_last"), bindparam("b_signature")),
                       else_=Incident.signature),
        category=case((Incident.last_seen <= bindparam("b_last"), bindparam("b_category")),
                      else_=Incident.category),
        updated_at=bindparam("b_now"),
    )
)


def _add_sensors(session: Session, pairs: set[tuple[int, str]]) -> None:
    conn = session.connection()
    values = [{"incident_id": ident, "sensor_id": sensor} for ident, sensor in sorted(pairs)]
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(IncidentSensor).on_conflict_do_nothing()
        conn.execute(pg, values)
        return
    conn.execute(sqlite.insert(IncidentSensor).on_conflict_do_nothing(), values)
