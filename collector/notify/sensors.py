"""Sensor notices: an offline spell as an episode, told to operators at once, to the customer later.

Owns: `open_episode` and the operators' offline notices (called in the
offline detector's transaction), `close_episodes` (the sensor is back:
offline notices still waiting are cancelled, and whoever was told it was
offline is told it is back), and `sweep_episodes`, run by the delivery
worker each pass: an episode whose sensor still is offline after
`notify_customer_offline_after_seconds` gets the tenant's contacts queued
(「監視装置の電源・ケーブルをご確認ください」); one whose sensor is back — seen
from its stored state, so no heartbeat hook is needed — is closed. Every step
is a conditional UPDATE on the episode, so several workers act once.
Does not own: deciding that a sensor is offline (collector/fleet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.fleet import events
from collector.fleet.liveness import OFFLINE as SENSOR_IS_OFFLINE
from collector.fleet.liveness import as_utc
from collector.models import Sensor, SensorStatus
from collector.notify.contacts import active_contacts
from collector.notify.models import (
    OFFLINE,
    PENDING,
    RECOVERED,
    SENT,
    Contact,
    Notice,
    SensorEpisode,
)
from collector.notify.queue import NewNotice, add_notice, cancel_pending, insert_or_nothing

SYSTEM = "system"


def sensor_payload(sensor_id: str, tenant: str, since: datetime) -> dict[str, Any]:
    """What the offline/recovered templates render."""
    return {"sensor_id": sensor_id, "tenant": tenant, "since": as_utc(since).isoformat(),
            "url": None}


def open_episode(session: Session, sensor_id: str, tenant: str, since: datetime,
                 now: datetime) -> list[int]:
    """Record the spell and queue the operators' notices; [] if it was recorded already."""
    episode_id = insert_or_nothing(
        session, SensorEpisode,
        {"sensor_id": sensor_id, "tenant": tenant, "offline_since": since},
        ["sensor_id", "offline_since"])
    if episode_id is None:
        return []
    return _queue_offline(session, None, episode_id, sensor_id, tenant, since, now)


def _queue_offline(session: Session, contacts_of: str | None, episode_id: int,
                   sensor_id: str, tenant: str, since: datetime, now: datetime) -> list[int]:
    queued = []
    for contact in active_contacts(session, contacts_of):  # None: the operators
        new = NewNotice(kind=OFFLINE, tenant=tenant, severity=events.SENSOR_OFFLINE.severity,
                        payload=sensor_payload(sensor_id, tenant, since), actor=SYSTEM,
                        sensor_id=sensor_id, episode_id=episode_id,
                        dedup_key=f"episode:{episode_id}:offline:{contact.id}")
        notice_id = add_notice(session, contact, new, now)
        if notice_id is not None:
            queued.append(notice_id)
    return queued


def close_episodes(session: Session, sensor_id: str, back_at: datetime,
                   now: datetime) -> list[int]:
    """The sensor is back: close its open episodes; returns the recovered notices queued."""
    open_ids = list(session.scalars(select(SensorEpisode.id).where(
        SensorEpisode.sensor_id == sensor_id, SensorEpisode.recovered_at.is_(None))))
    queued: list[int] = []
    for episode_id in open_ids:
        queued += close_episode(session, episode_id, back_at, now, tell=True)
    return queued


def close_episode(session: Session, episode_id: int, back_at: datetime, now: datetime,
                  tell: bool) -> list[int]:
    """Close one episode (once); with `tell`, queue "recovered" to whoever heard "offline"."""
    closed = session.execute(
        update(SensorEpisode)
        .where(SensorEpisode.id == episode_id, SensorEpisode.recovered_at.is_(None))
        .values(recovered_at=back_at).execution_options(synchronize_session=False))
    if not closed.rowcount:  # type: ignore[attr-defined]
        return []
    offline = _offline_notices(session, episode_id)
    cancel_pending(session, [row.id for row in offline if row.state == PENDING], now,
                   "sensor recovered before the notice went out")
    if not tell:
        return []
    episode = session.get(SensorEpisode, episode_id)
    assert episode is not None
    told = [row for row in _offline_notices(session, episode_id)
            if row.state == SENT or (row.state == PENDING and row.claimed_by is not None)]
    return _queue_recovered(session, episode, told, back_at, now)


def _offline_notices(session: Session, episode_id: int) -> list[Any]:
    # Columns, not ORM objects: the rows were just changed by a bulk UPDATE.
    return list(session.execute(
        select(Notice.id, Notice.contact_id, Notice.state, Notice.claimed_by)
        .where(Notice.episode_id == episode_id, Notice.kind == OFFLINE)).all())


def _queue_recovered(session: Session, episode: SensorEpisode, told: list[Any],
                     back_at: datetime, now: datetime) -> list[int]:
    queued = []
    for row in told:
        contact = session.get(Contact, row.contact_id)
        if contact is None or contact.deleted_at is not None or not contact.enabled:
            continue
        new = NewNotice(kind=RECOVERED, tenant=episode.tenant,
                        severity=events.SENSOR_RECOVERED.severity,
                        payload=sensor_payload(episode.sensor_id, episode.tenant, back_at),
                        actor=SYSTEM, sensor_id=episode.sensor_id, episode_id=episode.id,
                        thread_id=row.id, dedup_key=f"episode:{episode.id}:recovered:{contact.id}")
        notice_id = add_notice(session, contact, new, now)
        if notice_id is not None:
            queued.append(notice_id)
    return queued


@dataclass(slots=True, frozen=True)
class _Spell:
    episode_id: int
    sensor_id: str
    tenant: str
    offline_since: datetime
    customer_queued: bool
    still_offline: bool
    back_at: datetime | None  # None: revoked or gone, nobody is told


def sweep_episodes(session: Session, now: datetime, customer_after: float) -> None:
    """Queue the customer's delayed offline notices and close recovered episodes; commits."""
    spells = _open_spells(session)
    session.rollback()  # end the read: each step below starts with its write
    cutoff = now - timedelta(seconds=customer_after)
    for spell in spells:
        if not spell.still_offline:
            close_episode(session, spell.episode_id, spell.back_at or now, now,
                          tell=spell.back_at is not None)
        elif not spell.customer_queued and spell.offline_since <= cutoff:
            _queue_customers(session, spell, now)
        session.commit()


def _open_spells(session: Session) -> list[_Spell]:
    rows = session.execute(
        select(SensorEpisode, SensorStatus, Sensor)
        .outerjoin(SensorStatus, SensorStatus.sensor_id == SensorEpisode.sensor_id)
        .outerjoin(Sensor, Sensor.sensor_id == SensorEpisode.sensor_id)
        .where(SensorEpisode.recovered_at.is_(None))).all()
    return [_spell(episode, status, sensor) for episode, status, sensor in rows]


def _spell(episode: SensorEpisode, status: SensorStatus | None,
           sensor: Sensor | None) -> _Spell:
    since = as_utc(episode.offline_since)
    gone = status is None or sensor is None or sensor.revoked_at is not None
    offline = not gone and still_offline(status, since)
    back_at = None
    if not gone and not offline and status is not None:
        back_at = as_utc(status.state_since if status.state != SENSOR_IS_OFFLINE
                         else status.last_heartbeat_at)
    return _Spell(episode.id, episode.sensor_id, episode.tenant, since,
                  episode.customer_queued_at is not None, offline, back_at)


def still_offline(status: SensorStatus | None, since: datetime) -> bool:
    """Whether the sensor has stayed offline since `since` (a later spell means it came back)."""
    return (status is not None and status.state == SENSOR_IS_OFFLINE
            and as_utc(status.state_since) <= since)


def _queue_customers(session: Session, spell: _Spell, now: datetime) -> list[int]:
    marked = session.execute(
        update(SensorEpisode)
        .where(SensorEpisode.id == spell.episode_id, SensorEpisode.customer_queued_at.is_(None),
               SensorEpisode.recovered_at.is_(None))
        .values(customer_queued_at=now).execution_options(synchronize_session=False))
    if not marked.rowcount:  # type: ignore[attr-defined]
        return []
    return _queue_offline(session, spell.tenant, spell.episode_id, spell.sensor_id,
                          spell.tenant, spell.offline_since, now)


def episode_still_open(session: Session, episode_id: int) -> bool:
    """Checked just before an offline notice is sent: is the sensor still offline?"""
    episode = session.get(SensorEpisode, episode_id)
    if episode is None or episode.recovered_at is not None:
        return False
    return still_offline(session.get(SensorStatus, episode.sensor_id),
                         as_utc(episode.offline_since))
