"""Which bundle a sensor should run, as the heartbeat answer's RulesetOffer.

Owns: `offer_for` — the sensor's channel's bundle (a canary sensor runs the
newer of canary and stable) with the tenant's active overrides layered on,
or, when that bundle is held by the canary check, the bundle the sensor ran
before it (else stable's), marked `rollback` when it is older than what the
sensor runs — and the record of every offer, which is what entitles a
sensor to download a bundle (`may_download`).
Does not own: judging canaries (canary.py) or the overrides table
(collector/overrides.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Sensor
from collector.overrides import active_overrides, effective_version
from collector.rulesets.channels import channel_bundle, channel_of
from collector.rulesets.models import (
    CANARY,
    HELD,
    OFFERED,
    STABLE,
    Rollout,
    RulesetBundle,
)
from rules.bundle import is_newer, parse_version
from uplink.schema import RulesetOffer, RulesetStatus
from yamori.errors import BundleError

BUNDLE_PATH = "/api/v1/rulesets/{version}/bundle"


@dataclass(slots=True, frozen=True)
class Target:
    """The bundle a sensor should run, and whether going there is a rollback."""

    bundle: RulesetBundle
    rollback: bool


def bundle_url(base_url: str, version: str) -> str:
    """The download URL of `version` on the collector at `base_url`."""
    return base_url.rstrip("/") + BUNDLE_PATH.format(version=version)


def running_bundle(status: RulesetStatus | None) -> str | None:
    """The bundle version the sensor says it runs (from `bundle`, else `running`)."""
    if status is None:
        return None
    if status.bundle:
        return status.bundle
    return status.running.split("+", 1)[0] if status.running else None


def offer_for(session: Session, sensor: Sensor, status: RulesetStatus | None, now: datetime,
              base_url: str) -> RulesetOffer | None:
    """The ruleset `sensor` should run (None: nothing published for it); records the offer.

    The caller commits (the heartbeat route does, with its other changes).
    """
    channel = channel_of(session, sensor.sensor_id)
    target = target_for(session, sensor.sensor_id, channel, status)
    if target is None:
        return None
    overrides = [row.to_wire() for row in active_overrides(session, sensor.tenant)]
    effective = effective_version(target.bundle.version, overrides)
    record_offer(session, target, sensor.sensor_id, channel, effective, status, now)
    return RulesetOffer(version=target.bundle.version, channel=channel,
                        url=bundle_url(base_url, target.bundle.version),
                        sha256=target.bundle.sha256, size=target.bundle.size,
                        effective_version=effective, overrides=overrides,
                        rollback=target.rollback)


def target_for(session: Session, sensor_id: str, channel: str,
               status: RulesetStatus | None) -> Target | None:
    """The bundle a sensor in `channel` should run now."""
    if channel != CANARY:
        stable = channel_bundle(session, STABLE)
        return None if stable is None else Target(stable, rollback=False)
    newest = _newest(channel_bundle(session, c) for c in (CANARY, STABLE))
    if newest is None or newest.status != HELD:
        return None if newest is None else Target(newest, rollback=False)
    fallback = _fallback(session, sensor_id, newest)
    if fallback is None:
        return None
    return Target(fallback, rollback=_older(fallback.version, running_bundle(status)))


def _newest(bundles: Iterable[RulesetBundle | None]) -> RulesetBundle | None:
    found = [b for b in bundles if b is not None]
    return max(found, key=lambda b: parse_version(b.version)) if found else None


def _fallback(session: Session, sensor_id: str, held: RulesetBundle) -> RulesetBundle | None:
    # The sensor's own previous bundle first: it still has it on disk, so going
    # back is the rollback the agent accepts.
    rollout = _rollout(session, held.version, sensor_id)
    names = [rollout.previous_bundle if rollout is not None else None,
             channel_bundle(session, STABLE)]
    for name in names:
        bundle = session.get(RulesetBundle, name) if isinstance(name, str) else name
        if (bundle is not None and bundle.status != HELD
                and is_newer(held.version, bundle.version)):
            return bundle
    return None


def _older(candidate: str, running: str | None) -> bool:
    if running is None:
        return False
    try:
        return is_newer(running, candidate)
    except BundleError:
        return False  # the sensor runs something that is not a bundle version


def _rollout(session: Session, version: str, sensor_id: str) -> Rollout | None:
    query = select(Rollout).where(Rollout.version == version, Rollout.sensor_id == sensor_id)
    return session.scalars(query).first()


def record_offer(session: Session, target: Target, sensor_id: str, channel: str,
                 effective: str, status: RulesetStatus | None, now: datetime) -> Rollout:
    """Create or refresh the rollout record of this (bundle, sensor) offer."""
    version = target.bundle.version
    row = _rollout(session, version, sensor_id)
    if row is None:
        running = _as_version(running_bundle(status))
        row = Rollout(version=version, sensor_id=sensor_id, channel=channel,
                      rollback=target.rollback, offered_at=now, last_offered_at=now,
                      offered_effective=effective, state=OFFERED, state_at=now,
                      previous_bundle=running if running != version else None)
        session.add(row)
        session.flush()
        return row
    row.channel, row.rollback, row.last_offered_at = channel, target.rollback, now
    row.offered_effective = effective
    return row


def _as_version(text: str | None) -> str | None:
    # What a sensor reports is kept only when it can name a bundle.
    if text is None or len(text) > 64:
        return None
    try:
        parse_version(text)
    except BundleError:
        return None
    return text


def may_download(session: Session, sensor_id: str, version: str) -> bool:
    """True when `version` was offered to this sensor (only then may it download it)."""
    return _rollout(session, version, sensor_id) is not None
