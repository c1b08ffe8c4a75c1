"""POST /api/v1/heartbeat: a sensor reports its state; the answer paces it.

Owns: the HTTP shape of a heartbeat — the authenticated sensor may only
report as itself, in its own tenant (403 otherwise); a revoked sensor's token
is refused (401) like an unknown one — and the answer: server time, the
interval to use next, the measured clock skew, and the ruleset to run
(collector/rulesets: the heartbeat's RulesetStatus moves the sensor's
rollout records along, a canary is judged, then the offer is made; None
while nothing is published for the sensor's channel).
Does not own: storing (repo/heartbeats.py) or any ruleset logic.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from collector.api.deps import SensorAuth, SessionDep, StateDep
from collector.fleet.admin import FleetDep
from collector.models import Sensor
from collector.repo.heartbeats import record_heartbeat, utcnow
from collector.rulesets.canary import CanaryLimits, evaluate
from collector.rulesets.offer import offer_for
from collector.rulesets.tracking import track_status
from uplink.schema import HEARTBEAT_PATH, Heartbeat, HeartbeatAnswer
from yamori.errors import IngestError

log = logging.getLogger(__name__)
router = APIRouter(tags=["fleet"])


def check_identity(sensor: Sensor, sensor_id: str, tenant: str | None) -> None:
    """A sensor speaks only as itself, into its own tenant."""
    if sensor_id != sensor.sensor_id:
        raise IngestError(f"sensor_id '{sensor_id}' does not match the authenticated sensor", 403)
    if tenant is not None and tenant != sensor.tenant:
        raise IngestError(f"tenant '{tenant}' is not the authenticated sensor's tenant", 403)


@router.post(HEARTBEAT_PATH, response_model=HeartbeatAnswer)
def post_heartbeat(sensor: SensorAuth, beat: Heartbeat, request: Request, session: SessionDep,
                   state: StateDep, fleet: FleetDep) -> HeartbeatAnswer:
    """Record the heartbeat; answer with the pace and the ruleset to run."""
    check_identity(sensor, beat.sensor_id, beat.tenant)
    now = utcnow()
    peer = request.client.host if request.client is not None else None
    recorded = record_heartbeat(session, sensor, beat, peer, now,
                                state.config.clock_skew_max_seconds)
    if recorded.clock_skew_flagged:
        log.warning("sensor %s clock is %.1f s off", sensor.sensor_id, recorded.clock_skew)
    if recorded.recovered:
        log.warning("sensor %s is back online", sensor.sensor_id)
    # After the heartbeat is stored: the canary's figures include this one.
    track_status(session, sensor.sensor_id, beat.ruleset, now)
    evaluate(session, sensor, CanaryLimits.from_config(state.config), now, peer)
    offer = offer_for(session, sensor, beat.ruleset, now, str(request.base_url))
    session.commit()
    return HeartbeatAnswer(server_time=now.isoformat(), next_interval=fleet.limits.interval,
                           clock_skew=round(recorded.clock_skew, 3),
                           clock_skew_flagged=recorded.clock_skew_flagged, ruleset=offer)
