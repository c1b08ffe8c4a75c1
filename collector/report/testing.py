"""A store for testing monthly reports (ours and other modules' tests, e.g. the customer view).

Owns: `build_store` — one tenant's October 2026 with as many alerts as asked
(100,000 for the target), its incidents, heartbeats with known gaps and a
rules_version change, escalation notices, dispatches, ruleset rollouts, and
another tenant's data that must never show in the first one's report — all
inserted in bulk through SQLAlchemy core, deterministic for a seed. The rows
inserted are handed back (`Store`) so tests can compute what the report
should say on their own. Does not own: any production behaviour.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from collector.incidents.models import Incident
from collector.models import Alert, HeartbeatRecord, Sensor
from collector.notify.models import Contact, Dispatch, Notice
from collector.rulesets.models import Rollout, RulesetBundle

JST = ZoneInfo("Asia/Tokyo")
TENANT = "tanaka-kogyo"
OTHER_TENANT = "sato-shoji"
QUIET_TENANT = "yamada-shoten"  # sensors watching all month, not one alert
MONTH = "2026-10"
MONTH_START = datetime(2026, 10, 1, tzinfo=JST)
MONTH_END = datetime(2026, 11, 1, tzinfo=JST)
OTHER_SIGNATURE = "SATO ONLY Beacon to a very private place"
OTHER_HOST = "10.99.0.5"
FLEET_HOST = "192.168.1.250"  # a sensor's own uplink address on its fleet events

# (gid, sid, signature, category, severity, weight): port scans dominate, as in real offices.
SIGNATURES: tuple[tuple[int, int, str, str, int, float], ...] = (
    (1, 1000001, "YAMORI SCAN TCP port sweep from outside", "Attempted Information Leak", 2,
     0.34),
    (1, 2402000, "ET DROP Dshield Block Listed Source group 1", "Misc Attack", 2, 0.18),
    (1, 2210044, "SURICATA STREAM Packet with invalid timestamp",
     "Generic Protocol Command Decode", 3, 0.14),
    (1, 2013028, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak", 2, 0.10),
    (1, 2027865, "ET INFO Observed DNS Query to .cloud TLD", "Potentially Bad Traffic", 2,
     0.09),
    (1, 2019401, "ET MALWARE Possible C2 beacon", "A Network Trojan was detected", 1, 0.05),
    (1, 1000003, "YAMORI MALWARE lookup of known C2 domain", "A Network Trojan was detected", 1,
     0.03),
    (1, 2100498, "GPL ATTACK_RESPONSE id check returned root", "Potentially Bad Traffic", 2,
     0.03),
    (1, 2522000, "ET TOR Known Tor Relay/Router Node Traffic", "Misc Attack", 4, 0.04),
)


@dataclass(slots=True)
class Store:
    """What `build_store` inserted, row by row (dicts as given to INSERT)."""

    sensors: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    bundles: list[dict[str, Any]] = field(default_factory=list)
    rollouts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Plan:
    """How big a store to build."""

    alerts: int = 100_000
    other_alerts: int = 5_000
    incidents: int = 60
    heartbeat_seconds: float = 60.0
    seed: int = 8


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    """A JST wall-clock time as a UTC datetime (what the store keeps)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=JST).astimezone(UTC)


def build_store(session: Session, plan: Plan = Plan()) -> Store:
    """Insert the store described in the module docstring; commits; returns the rows."""
    rng = random.Random(plan.seed)
    store = Store()
    store.sensors = _sensors()
    store.heartbeats = list(_heartbeats(plan.heartbeat_seconds))
    store.alerts = _alerts(rng, plan)
    store.incidents = _incidents(rng, plan.incidents)
    store.contacts = _contacts()
    store.notices = _notices(store.incidents)
    store.dispatches = _dispatches(store.incidents)
    store.bundles, store.rollouts = _rulesets()
    for model, rows in ((Sensor, store.sensors), (Incident, store.incidents),
                        (Alert, store.alerts), (HeartbeatRecord, store.heartbeats),
                        (Contact, store.contacts), (Notice, store.notices),
                        (Dispatch, store.dispatches), (RulesetBundle, store.bundles),
                        (Rollout, store.rollouts)):
        for chunk in _chunks(rows, 20_000):
            session.execute(insert(model), chunk)
    session.commit()
    return store


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _sensors() -> list[dict[str, Any]]:
    def sensor(sensor_id: str, tenant: str, name: str, created: datetime) -> dict[str, Any]:
        return {"sensor_id": sensor_id, "tenant": tenant, "name": name,
                "token_sha256": f"{sensor_id:0<64}"[:64], "created_at": created,
                "last_seen_at": None, "hostname": sensor_id, "revoked_at": None}

    return [sensor("pi-001", TENANT, "本社 1F 監視装置", jst(2026, 9, 1, 9, 0)),
            # Enrolled mid-month: counted from then.
            sensor("pi-002", TENANT, "倉庫 監視装置", jst(2026, 10, 15, 10, 0)),
            sensor("pi-900", OTHER_TENANT, "sato box", jst(2026, 9, 1, 9, 0)),
            sensor("pi-500", QUIET_TENANT, "yamada box", jst(2026, 9, 1, 9, 0))]


# pi-001 is silent 02:00-07:30 on 12 October (5.5 h offline); on 5 October two
# heartbeats are missing, a 3-interval gap that is exactly the offline threshold
# and still counts as monitoring.
PI001_GAP = (jst(2026, 10, 12, 2, 0), jst(2026, 10, 12, 7, 30))
PI001_SKIP = (jst(2026, 10, 5, 12, 0), jst(2026, 10, 5, 12, 2, 1))
PI001_UPDATE = jst(2026, 10, 20, 3, 0)
OLD_RULES, NEW_BUNDLE, NEW_RULES = "2026.09.20-1", "2026.10.20-1", "2026.10.20-1+o1a2b3c"
PI002_FIRST = jst(2026, 10, 15, 10, 0, 30)
OTHER_GAP = (jst(2026, 10, 3, 0, 0), jst(2026, 10, 4, 0, 0))


def _heartbeats(every: float) -> Iterator[dict[str, Any]]:
    step = timedelta(seconds=every)
    before, after = jst(2026, 9, 30, 23, 30), jst(2026, 11, 1, 0, 30)
    for at in _ticks(before, after, step):
        if not (PI001_GAP[0] < at < PI001_GAP[1] or PI001_SKIP[0] < at < PI001_SKIP[1]):
            yield _beat("pi-001", at, OLD_RULES if at < PI001_UPDATE else NEW_RULES)
    for at in _ticks(PI002_FIRST, after, step):
        yield _beat("pi-002", at, NEW_RULES)
    for at in _ticks(before, after, step):
        if not OTHER_GAP[0] < at < OTHER_GAP[1]:
            yield _beat("pi-900", at, "2026.10.02-7" if at > jst(2026, 10, 2) else OLD_RULES)
    for at in _ticks(before, after, step):
        yield _beat("pi-500", at, OLD_RULES)


def _ticks(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    at = start
    while at < end:
        yield at
        at += step


def _beat(sensor_id: str, at: datetime, rules: str) -> dict[str, Any]:
    body = {"schema": 1, "sensor_id": sensor_id, "sent_at": at.isoformat(), "version": "0.1.0",
            "uptime": 1.0, "rules_version": rules}
    return {"sensor_id": sensor_id, "received_at": at, "clock_skew": 0.0,
            "heartbeat": json.dumps(body, separators=(",", ":"))}


_INSIDE = [f"192.168.1.{n}" for n in range(10, 41)] + ["10.0.0.7", "172.16.5.5", "fd00::17"]
_OUTSIDE = ([f"203.0.113.{n}" for n in range(1, 60)] + [f"198.51.100.{n}" for n in range(1, 60)]
            + ["172.32.0.1", "2001:db8::1"])


def _alerts(rng: random.Random, plan: Plan) -> list[dict[str, Any]]:
    start, end = MONTH_START.timestamp(), MONTH_END.timestamp()
    rows = [_alert(rng, n, TENANT, rng.choice(("pi-001", "pi-002")), rng.uniform(start, end))
            for n in range(plan.alerts - 1)]
    rows.append(_alert(rng, plan.alerts - 1, TENANT, "pi-001", start))  # the first instant
    # Just outside the month on either side: never counted.
    rows += [_alert(rng, plan.alerts + 1, TENANT, "pi-001", start - 1.0),
             _alert(rng, plan.alerts + 2, TENANT, "pi-001", end)]
    rows += [_fleet_event(plan.alerts + 3 + n, start + 86400.0 * (n + 11))
             for n in range(3)]
    for n in range(plan.other_alerts):
        row = _alert(rng, 10_000_000 + n, OTHER_TENANT, "pi-900", rng.uniform(start, end))
        row.update(signature=OTHER_SIGNATURE, signature_id=9_999_001, severity=1,
                   category="A Network Trojan was detected", src_ip=OTHER_HOST)
        rows.append(row)
    return rows


def _alert(rng: random.Random, n: int, tenant: str, sensor_id: str,
           epoch: float) -> dict[str, Any]:
    gid, sid, text, category, severity, _ = rng.choices(
        SIGNATURES, weights=[s[5] for s in SIGNATURES])[0]
    src, dest = _addresses(rng)
    when = datetime.fromtimestamp(epoch, UTC)
    return {"alert_id": f"r-{n:08d}", "sensor_id": sensor_id, "tenant": tenant,
            "received_at": when, "timestamp": when.astimezone(JST).isoformat(),
            "ts_epoch": epoch, "signature_id": sid, "gid": gid, "rev": 1, "signature": text,
            "category": category, "severity": severity, "src_ip": src,
            "src_port": rng.randrange(1024, 65535), "dest_ip": dest, "dest_port": 443,
            "proto": "TCP", "app_proto": "tls", "flow_id": n, "eve": '{"event_type":"alert"}',
            "incident_id": None}


def _addresses(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.45:  # from outside in
        return rng.choice(_OUTSIDE), rng.choice(_INSIDE)
    if kind < 0.9:  # from inside out
        return rng.choice(_INSIDE), rng.choice(_OUTSIDE)
    if kind < 0.98:  # between two office machines
        return rng.choice(_INSIDE), rng.choice(_INSIDE)
    return rng.choice(_OUTSIDE), rng.choice(_OUTSIDE)


def _fleet_event(n: int, epoch: float) -> dict[str, Any]:
    row = _alert(random.Random(n), n, TENANT, "pi-001", epoch)
    row.update(gid=9000, signature_id=9000001, signature="YAMORI SENSOR offline: pi-001",
               category="Sensor Health", severity=2, src_ip=FLEET_HOST, dest_ip="0.0.0.0")
    return row


_STATES = ("new", "acknowledged", "investigating", "escalated", "resolved_tp", "resolved_fp")
# Incident ids of the escalated and dispatched stories.
ESCALATED_RESOLVED, ESCALATED_OPEN, SPANNING, OLD, LATER, OTHERS = 1, 2, 3, 4, 5, 6


def _incidents(rng: random.Random, count: int) -> list[dict[str, Any]]:
    rows = [
        _incident(ESCALATED_RESOLVED, TENANT, 1000003, 1, "resolved_tp",
                  jst(2026, 10, 13, 2, 13), jst(2026, 10, 13, 4, 0), "192.168.1.23"),
        _incident(ESCALATED_OPEN, TENANT, 2019401, 1, "escalated",
                  jst(2026, 10, 28, 22, 5), jst(2026, 10, 29, 1, 0), "192.168.1.31"),
        _incident(SPANNING, TENANT, 2402000, 2, "resolved_fp",
                  jst(2026, 9, 25, 0, 0), jst(2026, 10, 2, 0, 0), "192.168.1.12"),
        _incident(OLD, TENANT, 2019401, 1, "resolved_tp",
                  jst(2026, 9, 1, 0, 0), jst(2026, 9, 20, 0, 0), "192.168.1.14"),
        _incident(LATER, TENANT, 2019401, 1, "new",
                  jst(2026, 11, 2, 0, 0), jst(2026, 11, 2, 1, 0), "192.168.1.15"),
        _incident(OTHERS, OTHER_TENANT, 9_999_001, 1, "escalated",
                  jst(2026, 10, 10, 0, 0), jst(2026, 10, 10, 1, 0), OTHER_HOST),
    ]
    start, end = MONTH_START.timestamp(), MONTH_END.timestamp()
    for n in range(count):
        _, sid, _, _, severity, _ = rng.choice(SIGNATURES)
        first = rng.uniform(start, end - 7200)
        rows.append(_incident(OTHERS + 1 + n, TENANT, sid, severity, rng.choice(_STATES),
                              datetime.fromtimestamp(first, UTC),
                              datetime.fromtimestamp(first + rng.uniform(0, 7200), UTC),
                              rng.choice(_INSIDE)))
    return rows


def _incident(incident_id: int, tenant: str, sid: int, severity: int, state: str,
              first: datetime, last: datetime, host: str) -> dict[str, Any]:
    known = {s[1]: s for s in SIGNATURES}
    text, category = (known[sid][2], known[sid][3]) if sid in known else (
        OTHER_SIGNATURE, "A Network Trojan was detected")
    return {"id": incident_id, "tenant": tenant, "gid": 1, "signature_id": sid,
            "src_ip": host, "dest_ip": "203.0.113.9", "signature": text, "category": category,
            "severity": severity, "count": 12, "first_seen": first.timestamp(),
            "last_seen": last.timestamp(), "last_alert_id": 0, "state": state,
            "assignee": None, "created_at": first, "updated_at": last, "resolved_at": None}


def _contacts() -> list[dict[str, Any]]:
    def contact(contact_id: int, tenant: str, name: str) -> dict[str, Any]:
        at = jst(2026, 9, 1, 9, 0)
        return {"id": contact_id, "tenant": tenant, "name": name, "kind": "webhook",
                "url": "json://127.0.0.1:9/hook", "lang": "ja", "min_severity": 3,
                "quiet_start": None, "quiet_end": None, "timezone": "Asia/Tokyo",
                "enabled": True, "created_by": "test", "created_at": at, "updated_at": at,
                "deleted_at": None}

    return [contact(1, TENANT, "総務 田中"), contact(2, TENANT, "社長 携帯"),
            contact(3, OTHER_TENANT, "sato")]


def _notices(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def notice(n: int, contact: int, tenant: str, kind: str, incident_id: int,
               at: datetime, state: str) -> dict[str, Any]:
        return {"id": n, "contact_id": contact, "tenant": tenant, "kind": kind,
                "incident_id": incident_id, "sensor_id": None, "episode_id": None,
                "thread_id": None, "dedup_key": f"incident:{incident_id}:{kind}:{contact}:{n}",
                "severity": 1, "payload": "{}", "state": state, "created_by": "analyst",
                "created_at": at, "due_at": at, "held_until": None, "attempts": 1,
                "max_attempts": None, "claimed_by": None, "claimed_until": None,
                "sent_at": at if state == "sent" else None, "last_error": None}

    return [
        notice(1, 1, TENANT, "escalated", ESCALATED_RESOLVED, jst(2026, 10, 13, 2, 40), "sent"),
        notice(2, 2, TENANT, "escalated", ESCALATED_RESOLVED, jst(2026, 10, 13, 2, 40), "sent"),
        notice(3, 1, TENANT, "update", ESCALATED_RESOLVED, jst(2026, 10, 13, 9, 0), "sent"),
        notice(4, 1, TENANT, "escalated", ESCALATED_OPEN, jst(2026, 10, 28, 22, 30), "sent"),
        notice(5, 2, TENANT, "escalated", ESCALATED_OPEN, jst(2026, 10, 28, 22, 30), "failed"),
        notice(6, 1, TENANT, "escalated", OLD, jst(2026, 9, 2, 0, 0), "sent"),
        notice(7, 3, OTHER_TENANT, "escalated", OTHERS, jst(2026, 10, 10, 0, 30), "sent"),
    ]


DISPATCH_OUTCOME = "感染したパソコンを初期化し、全員のパスワードを変更しました。"
DISPATCH_TECHNICIAN = "山本 技術員"


def _dispatches(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def dispatch(n: int, incident_id: int, tenant: str, technician: str, at: datetime,
                 outcome: str | None) -> dict[str, Any]:
        return {"id": n, "incident_id": incident_id, "tenant": tenant, "technician": technician,
                "reason": "C2通信の疑い", "dispatched_at": at,
                "arrived_at": at + timedelta(minutes=90), "outcome": outcome,
                "closed_at": at + timedelta(hours=3) if outcome else None,
                "created_by": "analyst", "created_at": at, "updated_at": at}

    return [dispatch(1, ESCALATED_RESOLVED, TENANT, DISPATCH_TECHNICIAN,
                     jst(2026, 10, 13, 9, 30), DISPATCH_OUTCOME),
            dispatch(2, OLD, TENANT, "九月 技術員", jst(2026, 9, 3, 9, 0), "済"),
            dispatch(3, OTHERS, OTHER_TENANT, "佐藤担当 技術員", jst(2026, 10, 10, 9, 0),
                     "sato outcome")]


NEW_RULE_COUNT = 48_213


def _rulesets() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def bundle(version: str, rules: int, at: datetime) -> dict[str, Any]:
        return {"version": version, "sha256": "0" * 64, "size": 1, "manifest": "{}",
                "key_id": "test", "rule_count": rules, "published_at": at,
                "published_by": "vendor", "status": "active", "held_at": None,
                "held_reason": None}

    rollout = {"version": NEW_BUNDLE, "sensor_id": "pi-001", "channel": "stable",
               "rollback": False, "offered_at": PI001_UPDATE - timedelta(minutes=2),
               "last_offered_at": PI001_UPDATE, "offered_effective": NEW_RULES,
               "previous_bundle": OLD_RULES, "state": "running", "state_at": PI001_UPDATE,
               "reason": None, "running_since": PI001_UPDATE, "baseline": None, "after": None,
               "verdict": None, "evidence": None, "evaluated_at": None}
    return ([bundle(OLD_RULES, 47_000, jst(2026, 9, 20)),
             bundle(NEW_BUNDLE, NEW_RULE_COUNT, jst(2026, 10, 19))], [rollout])
