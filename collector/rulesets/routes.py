"""The rulesets HTTP API: publishing, promotion, channels, overrides (admin); downloads (sensors).

Admin (the admin bearer token or a signed-in admin; staff may read):
    POST   /api/v1/rulesets?channel=canary        the bundle's bytes as the body
           (or header X-Yamori-Channel); 201, or 413/422/409 with the reason
    POST   /api/v1/rulesets/{version}/promote     to stable (?force=true overrules a hold)
    GET    /api/v1/rulesets                       channels, versions, rollouts with evidence
    PUT    /api/v1/sensors/{sensor_id}/channel    {"channel": "canary" | "stable"}
    GET    /api/v1/tenants/{tenant}/overrides     (?retired=true to include retired ones)
    POST   /api/v1/tenants/{tenant}/overrides     a RuleOverride plus "reason"
    DELETE /api/v1/tenants/{tenant}/overrides/{override_id}
Sensor:
    GET    /api/v1/rulesets/{version}/bundle      only a version offered to that sensor
           (403 otherwise); ETag is the sha256, If-None-Match answers 304

Owns: the HTTP shapes only. Does not own: the logic (store.py, channels.py,
offer.py, report.py) or the heartbeat's offer (api/routes/heartbeat.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from collector.api.deps import RowId, SensorAuth, SessionDep, StateDep
from collector.audit import record_audit
from collector.auth.deps import StaffUser, admin_api_auth
from collector.auth.principal import Principal
from collector.fleet.liveness import as_utc
from collector.ingest.body import check_content_length, read_bounded
from collector.models import Sensor
from collector.overrides import TenantOverride, active_overrides, add_override, retire_override
from collector.repo.heartbeats import utcnow
from collector.rulesets.channels import promote, set_sensor_channel
from collector.rulesets.models import CANARY, RulesetBundle
from collector.rulesets.offer import BUNDLE_PATH, may_download
from collector.rulesets.override_shapes import check_override
from collector.rulesets.report import rulesets_report
from collector.rulesets.store import bundle_path, publish
from uplink.schema import RuleOverride
from yamori.errors import IngestError

router = APIRouter(tags=["rulesets"])
RULESETS_PATH = "/api/v1/rulesets"
OVERRIDES_PATH = "/api/v1/tenants/{tenant}/overrides"
CHANNEL_HEADER = "X-Yamori-Channel"
AdminDep = Annotated[Principal, Depends(admin_api_auth)]


class ChannelChoice(BaseModel):
    """PUT /api/v1/sensors/{sensor_id}/channel body."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=32)


class OverrideCreate(RuleOverride):
    """POST /api/v1/tenants/{tenant}/overrides body: the override and why."""

    reason: str = Field("", max_length=2000)


async def incoming_bundle(request: Request, state: StateDep, _admin: AdminDep) -> bytes:
    """The request body, refused past rules_max_bundle_bytes (read only for an admin)."""
    limit = state.config.rules_max_bundle_bytes
    check_content_length(request.headers.get("content-length"), limit)
    return await read_bounded(request.stream(), limit)


@router.post(RULESETS_PATH, status_code=201)
def publish_bundle(admin: AdminDep, data: Annotated[bytes, Depends(incoming_bundle)],
                   session: SessionDep, state: StateDep,
                   channel: Annotated[str | None, Query(description="canary (default)"
                                                        " or stable")] = None,
                   x_yamori_channel: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    """Accept a signed bundle and point its channel at it."""
    chosen = channel or x_yamori_channel or CANARY
    done = publish(session, state.config, data, chosen, admin.username, utcnow())
    return {"version": done.bundle.version, "channel": done.channel,
            "previous": done.previous, "sha256": done.bundle.sha256, "size": done.bundle.size,
            "key_id": done.bundle.key_id, "rule_count": done.bundle.rule_count}


@router.post(RULESETS_PATH + "/{version}/promote")
def promote_bundle(version: str, admin: AdminDep, session: SessionDep,
                   force: bool = False) -> dict[str, Any]:
    """Put a published bundle on stable: stable sensors get it on their next heartbeat."""
    previous = promote(session, version, admin.username, utcnow(), force=force)
    return {"version": version, "channel": "stable", "previous": previous}


@router.get(RULESETS_PATH)
def list_rulesets(_user: StaffUser, session: SessionDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> dict[str, Any]:
    """Channels, versions (newest first) and each sensor's rollout with its evidence."""
    return rulesets_report(session, limit)


@router.put("/api/v1/sensors/{sensor_id}/channel")
def put_sensor_channel(sensor_id: str, body: ChannelChoice, admin: AdminDep,
                       session: SessionDep) -> dict[str, Any]:
    """Move a sensor between canary and stable."""
    before = set_sensor_channel(session, sensor_id, body.channel, admin.username, utcnow())
    return {"sensor_id": sensor_id, "channel": body.channel, "previous": before}


@router.get(OVERRIDES_PATH)
def list_overrides(tenant: str, _user: StaffUser, session: SessionDep,
                   retired: bool = False) -> dict[str, Any]:
    """The tenant's active overrides (and retired ones with ?retired=true), oldest first."""
    if retired:
        rows = list(session.scalars(select(TenantOverride).where(TenantOverride.tenant == tenant)
                                    .order_by(TenantOverride.id)))
    else:
        rows = active_overrides(session, tenant)
    return {"tenant": tenant, "overrides": [_override(r) for r in rows]}


@router.post(OVERRIDES_PATH, status_code=201)
def post_override(tenant: str, body: OverrideCreate, admin: AdminDep,
                  session: SessionDep) -> dict[str, Any]:
    """Add an override; the tenant's sensors get it layered on their next offer."""
    override = RuleOverride.model_validate(body.model_dump(exclude={"reason"}))
    check_override(override)
    _check_tenant(session, tenant)
    now = utcnow()
    row = add_override(session, tenant, override, admin.username, body.reason, now)
    record_audit(session, admin.username, "override.add", f"override:{row.id}",
                 {**override.model_dump(exclude_none=True), "reason": body.reason},
                 tenant=tenant, now=now)
    session.commit()
    return _override(row)


@router.delete(OVERRIDES_PATH + "/{override_id}")
def delete_override(tenant: str, override_id: RowId, admin: AdminDep,
                    session: SessionDep) -> dict[str, Any]:
    """Retire an active override of this tenant (404 if there is none by that id)."""
    now = utcnow()
    if not retire_override(session, override_id, tenant=tenant, now=now):
        raise IngestError(f"no active override {override_id} for tenant '{tenant}'", 404)
    record_audit(session, admin.username, "override.retire", f"override:{override_id}",
                 tenant=tenant, now=now)
    session.commit()
    return {"tenant": tenant, "id": override_id, "retired_at": now.isoformat()}


def _check_tenant(session: SessionDep, tenant: str) -> None:
    # A typo in a tenant name would otherwise store an override nothing ever uses.
    count = session.scalar(select(func.count()).select_from(Sensor)
                           .where(Sensor.tenant == tenant))
    if not count:
        raise IngestError(f"no sensor is enrolled in tenant '{tenant}'", 404)


def _override(row: TenantOverride) -> dict[str, Any]:
    return {**row.to_wire().model_dump(), "id": row.id, "tenant": row.tenant,
            "reason": row.reason, "created_by": row.created_by,
            "created_at": as_utc(row.created_at).isoformat(),
            "retired_at": as_utc(row.retired_at).isoformat() if row.retired_at else None}


@router.get(BUNDLE_PATH, response_model=None)
def download_bundle(version: str, sensor: SensorAuth, session: SessionDep, state: StateDep,
                    if_none_match: Annotated[str | None, Header()] = None
                    ) -> Response | FileResponse:
    """The bundle file, for a sensor it was offered to; 304 when its ETag still matches."""
    if not may_download(session, sensor.sensor_id, version):
        raise IngestError(f"ruleset {version} was not offered to sensor "
                          f"'{sensor.sensor_id}'", 403)
    bundle = session.get(RulesetBundle, version)
    path = bundle_path(Path(state.config.rules_dir), version)
    if bundle is None or not path.is_file():
        raise IngestError(f"ruleset {version} is not on this collector", 404)
    headers = {"ETag": f'"{bundle.sha256}"', "Cache-Control": "no-cache"}
    if etag_matches(if_none_match, bundle.sha256):
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type="application/gzip", headers=headers,
                        filename=path.name)


def etag_matches(if_none_match: str | None, sha256: str) -> bool:
    """True when an If-None-Match header names this ETag (weak or strong) or is `*`."""
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/").strip('"') == sha256:
            return True
    return False
