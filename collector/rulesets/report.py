"""The operator's view of rulesets: channels, published versions, rollouts with evidence.

Owns: the JSON behind GET /api/v1/rulesets (and `yamori rules status`):
what each channel serves and how it got there, every published bundle
(newest first) with its status (held, with why), and per bundle each
sensor's rollout — offered, running, failed or refused with the sensor's
reason, rolled back — with the canary's before/after figures and verdict.
Does not own: changing any of it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.fleet.liveness import as_utc
from collector.models import Sensor
from collector.rulesets.channels import canary_sensors, channel_history, pointer
from collector.rulesets.models import CHANNELS, Rollout, RulesetBundle, loads
from rules.bundle import parse_version


def rulesets_report(session: Session, limit: int = 50) -> dict[str, Any]:
    """Channels, the newest `limit` bundles with their rollouts, and the canary sensors."""
    bundles = sorted(session.scalars(select(RulesetBundle)),
                     key=lambda b: parse_version(b.version), reverse=True)[:limit]
    serving = {c: p.version for c in CHANNELS if (p := pointer(session, c)) is not None}
    rollouts = _rollouts_by_version(session, [b.version for b in bundles])
    return {
        "channels": {c: _channel(session, c) for c in CHANNELS},
        "bundles": [_bundle(b, serving, rollouts[b.version]) for b in bundles],
        "canary_sensors": canary_sensors(session),
    }


def _channel(session: Session, channel: str) -> dict[str, Any]:
    current = pointer(session, channel)
    return {
        "version": current.version if current else None,
        "updated_at": _iso(current.updated_at) if current else None,
        "updated_by": current.updated_by if current else None,
        "history": [{"version": h.version, "previous": h.previous, "action": h.action,
                     "at": _iso(h.at), "by": h.by} for h in channel_history(session, channel)],
    }


def _bundle(bundle: RulesetBundle, serving: dict[str, str],
            rollouts: list[dict[str, Any]]) -> dict[str, Any]:
    manifest = loads(bundle.manifest)
    states: dict[str, int] = defaultdict(int)
    for rollout in rollouts:
        states[rollout["state"]] += 1
    return {
        "version": bundle.version, "sha256": bundle.sha256, "size": bundle.size,
        "key_id": bundle.key_id, "rule_count": bundle.rule_count,
        "rule_counts": manifest.get("rule_counts", {}), "created_at": manifest.get("created_at"),
        "published_at": _iso(bundle.published_at), "published_by": bundle.published_by,
        "status": bundle.status, "held_at": _iso(bundle.held_at),
        "held_reason": bundle.held_reason,
        "channels": sorted(c for c, v in serving.items() if v == bundle.version),
        "rollout_states": dict(states), "rollouts": rollouts,
    }


def _rollouts_by_version(session: Session,
                         versions: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = (select(Rollout, Sensor.tenant).join(Sensor, Sensor.sensor_id == Rollout.sensor_id)
             .where(Rollout.version.in_(versions)).order_by(Rollout.sensor_id))
    for row, tenant in session.execute(query):
        found[row.version].append(_rollout(row, tenant))
    return found


def _rollout(row: Rollout, tenant: str) -> dict[str, Any]:
    return {
        "sensor_id": row.sensor_id, "tenant": tenant, "channel": row.channel,
        "rollback": row.rollback, "offered_at": _iso(row.offered_at),
        "last_offered_at": _iso(row.last_offered_at), "offered_effective": row.offered_effective,
        "previous_bundle": row.previous_bundle, "state": row.state, "state_at": _iso(row.state_at),
        "reason": row.reason, "running_since": _iso(row.running_since), "verdict": row.verdict,
        "baseline": loads(row.baseline), "after": loads(row.after),
        "evidence": loads(row.evidence), "evaluated_at": _iso(row.evaluated_at),
    }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else as_utc(when).isoformat()
