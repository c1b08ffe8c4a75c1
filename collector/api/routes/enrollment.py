"""POST /api/v1/enroll (a box exchanges a token) and POST /api/v1/enrollment-tokens (admin).

Owns: the HTTP shape of enrollment. The enroll answer carries the new sensor
credential once (only its sha256 is stored) and the collector's CA
certificate when one is configured, for the box to pin. Issuing tokens needs
the admin bearer token. Does not own: tokens and sensors (repo/enrollment.py).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from collector.api.deps import SessionDep, StateDep
from collector.fleet.admin import AdminAuth, FleetDep
from collector.repo.enrollment import issue_token, redeem
from uplink.schema import ENROLL_PATH, EnrollAnswer, EnrollRequest

log = logging.getLogger(__name__)
router = APIRouter(tags=["fleet"])
TOKENS_PATH = "/api/v1/enrollment-tokens"


class TokenCreate(BaseModel):
    """POST /api/v1/enrollment-tokens body."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=128)
    # At most ten years: an unbounded float overflows the datetime arithmetic.
    ttl_seconds: Annotated[float | None, Field(gt=0, le=10 * 366 * 86400)] = None


@router.post(ENROLL_PATH, response_model=EnrollAnswer)
def enroll(body: EnrollRequest, session: SessionDep, fleet: FleetDep) -> EnrollAnswer:
    """Consume the token; create the sensor or rotate its credential."""
    done = redeem(session, body.token, body.hostname, body.sensor_id)
    # The credential is never logged; the sensor id and tenant are.
    log.info("sensor %s %s in tenant %s (host %s)", done.sensor_id,
             "re-enrolled" if done.rotated else "enrolled", done.tenant, body.hostname)
    return EnrollAnswer(sensor_id=done.sensor_id, tenant=done.tenant, credential=done.credential,
                        ca_pem=fleet.ca_pem, heartbeat_interval=fleet.limits.interval,
                        rotated=done.rotated)


@router.post(TOKENS_PATH, dependencies=[AdminAuth], status_code=201)
def create_token(body: TokenCreate, session: SessionDep, state: StateDep) -> dict[str, Any]:
    """A single-use enrollment token for `tenant` (shown once)."""
    ttl = body.ttl_seconds or state.config.enroll_token_ttl_seconds
    issued = issue_token(session, body.tenant, ttl)
    return {"token": issued.token, "tenant": issued.tenant,
            "expires_at": issued.expires_at.isoformat()}
