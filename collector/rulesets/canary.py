"""The canary check: does a new bundle make alerts or engine cost jump on the canary sensors?

Owns: judging the canary bundle on one canary sensor once it has run it for
`canary_min_seconds` — its alerts per packet and engine seconds per packet
after it started running the bundle, against the same figures before
(figures.py) — and holding the bundle when either jumps past its factor
(`canary_alert_factor`, `canary_cost_factor`): the bundle's status becomes
`held` (a conditional UPDATE, so racing heartbeats hold it once), every
canary rollout of it keeps its before/after figures as evidence, and a
RULESET_HELD event lands in the analysts' feed. Offers then roll the canary
sensors back (offer.py). A baseline of zero alerts is read as "less than one
alert in that many packets", so a rule that fires on every packet is caught
without flagging one stray alert.
Does not own: the offers, the figures' arithmetic, or promotion (channels.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.config import CollectorConfig
from collector.fleet import events
from collector.fleet.liveness import as_utc
from collector.models import Sensor
from collector.rulesets.channels import channel_of, pointer
from collector.rulesets.figures import Figures, figures, samples_before, samples_since
from collector.rulesets.models import (
    ACTIVE,
    CANARY,
    HELD,
    PASS,
    RUNNING,
    STABLE,
    Rollout,
    RulesetBundle,
    dumps,
)
from rules.bundle import is_newer

log = logging.getLogger(__name__)
BASELINE_SAMPLES = 60  # heartbeats before the swap that make the baseline
AFTER_SAMPLES = 120  # the latest heartbeats since the swap that are judged
MIN_PACKETS = 100  # fewer packets than this on either side: too little to judge


@dataclass(slots=True, frozen=True)
class CanaryLimits:
    """How much worse a canary may get, and how long it runs before it is judged."""

    alert_factor: float
    cost_factor: float
    min_seconds: float

    @classmethod
    def from_config(cls, config: CollectorConfig) -> CanaryLimits:
        return cls(config.canary_alert_factor, config.canary_cost_factor,
                   config.canary_min_seconds)


@dataclass(slots=True, frozen=True)
class Judgement:
    """The verdict on one canary (PASS, HELD, or None: not enough traffic yet) and why."""

    verdict: str | None
    reasons: tuple[str, ...]
    alert_ratio: float | None
    cost_ratio: float | None


def judge(before: Figures | None, after: Figures | None, limits: CanaryLimits) -> Judgement:
    """Compare the figures after a swap with those before it."""
    if (before is None or after is None or before.packets < MIN_PACKETS
            or after.packets < MIN_PACKETS):
        return Judgement(None, (f"waiting for at least {MIN_PACKETS} packets before and after",),
                         None, None)
    base_rate = max(before.alerts / before.packets, 1.0 / before.packets)
    alert_ratio = after.alerts / after.packets / base_rate
    cost_ratio = _cost_ratio(before, after)
    reasons = []
    if alert_ratio > limits.alert_factor:
        reasons.append(f"alerts per packet rose x{alert_ratio:.1f} "
                       f"(limit x{limits.alert_factor:g})")
    if cost_ratio is not None and cost_ratio > limits.cost_factor:
        reasons.append(f"engine time per packet rose x{cost_ratio:.1f} "
                       f"(limit x{limits.cost_factor:g}, from {after.cost_source})")
    return Judgement(HELD if reasons else PASS, tuple(reasons), alert_ratio, cost_ratio)


def _cost_ratio(before: Figures, after: Figures) -> float | None:
    old, new = before.engine_seconds_per_packet, after.engine_seconds_per_packet
    if before.cost_source != after.cost_source or not old or new is None:
        return None  # different yardsticks (engine switched) or nothing measured
    return new / old


def evaluate(session: Session, sensor: Sensor, limits: CanaryLimits, now: datetime,
             peer: str | None) -> Judgement | None:
    """Judge the canary bundle on `sensor` if it is due; hold it if it jumped. Caller commits.

    None when the sensor is not a canary running the canary bundle, or has not
    run it for `min_seconds` yet.
    """
    row = _canary_rollout(session, sensor.sensor_id)
    if row is None or row.running_since is None:
        return None
    if (now - as_utc(row.running_since)).total_seconds() < limits.min_seconds:
        return None
    judgement, evidence = _measure(session, row, limits, now)
    if judgement.verdict == HELD and _hold(session, row.version, judgement, now):
        _raise_event(session, sensor, row.version, evidence, now, peer)
        _refresh_evidence(session, row.version, limits, now)
    return judgement


def _canary_rollout(session: Session, sensor_id: str) -> Rollout | None:
    # Only an active bundle that canary serves and stable does not (yet) is on trial.
    canary, stable = pointer(session, CANARY), pointer(session, STABLE)
    if canary is None or channel_of(session, sensor_id) != CANARY:
        return None
    if stable is not None and not is_newer(canary.version, stable.version):
        return None
    bundle = session.get(RulesetBundle, canary.version)
    if bundle is None or bundle.status != ACTIVE:
        return None
    query = select(Rollout).where(Rollout.version == canary.version,
                                  Rollout.sensor_id == sensor_id, Rollout.state == RUNNING)
    return session.scalars(query).first()


def _measure(session: Session, row: Rollout, limits: CanaryLimits,
             now: datetime) -> tuple[Judgement, dict[str, Any]]:
    assert row.running_since is not None
    since = as_utc(row.running_since)
    before = figures(samples_before(session, row.sensor_id, since, BASELINE_SAMPLES))
    after = figures(samples_since(session, row.sensor_id, since, AFTER_SAMPLES))
    judgement = judge(before, after, limits)
    row.baseline = None if before is None else dumps(before.to_dict())
    row.after = None if after is None else dumps(after.to_dict())
    row.verdict, row.evaluated_at = judgement.verdict, now
    evidence = _evidence(row, before, after, judgement, limits)
    row.evidence = dumps(evidence)
    return judgement, evidence


def _evidence(row: Rollout, before: Figures | None, after: Figures | None,
              judgement: Judgement, limits: CanaryLimits) -> dict[str, Any]:
    return {"sensor_id": row.sensor_id, "version": row.version,
            "running_since": as_utc(row.running_since).isoformat() if row.running_since else None,
            "before": None if before is None else before.to_dict(),
            "after": None if after is None else after.to_dict(),
            "alert_ratio": judgement.alert_ratio, "cost_ratio": judgement.cost_ratio,
            "alert_factor": limits.alert_factor, "cost_factor": limits.cost_factor,
            "verdict": judgement.verdict, "reasons": list(judgement.reasons)}


def _hold(session: Session, version: str, judgement: Judgement, now: datetime) -> bool:
    # Conditional on the stored status: of two racing heartbeats one holds it.
    stmt = (update(RulesetBundle)
            .where(RulesetBundle.version == version, RulesetBundle.status == ACTIVE)
            .values(status=HELD, held_at=now, held_reason="; ".join(judgement.reasons))
            .execution_options(synchronize_session=False))
    held = bool(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    if held:
        bundle = session.get(RulesetBundle, version)
        if bundle is not None:
            session.refresh(bundle)
    return held


def _raise_event(session: Session, sensor: Sensor, version: str, evidence: dict[str, Any],
                 now: datetime, peer: str | None) -> None:
    details = {key: evidence[key] for key in ("version", "reasons", "before", "after",
                                              "alert_ratio", "cost_ratio")}
    text = events.ruleset_signature(events.RULESET_HELD, version, sensor.sensor_id)
    session.add(events.event_alert(events.RULESET_HELD, sensor, now, peer, details, text=text))
    record_audit(session, "system", "ruleset.hold", f"ruleset:{version}",
                 {"sensor_id": sensor.sensor_id, "reasons": evidence["reasons"]}, now=now)
    log.warning("ruleset %s held on canary %s: %s", version, sensor.sensor_id,
                "; ".join(evidence["reasons"]))


def _refresh_evidence(session: Session, version: str, limits: CanaryLimits,
                      now: datetime) -> None:
    """Keep the before/after figures of every other canary that ran the held bundle."""
    query = select(Rollout).where(Rollout.version == version,
                                  Rollout.verdict.is_distinct_from(HELD),
                                  Rollout.running_since.is_not(None))
    for other in session.scalars(query):
        _measure(session, other, limits, now)
