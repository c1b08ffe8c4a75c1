"""The fleet's runtime settings on an app, and admin authentication.

Owns: `FleetState` (kept on `app.state.fleet`: thresholds, the admin token's
digest, the CA certificate handed to enrolling boxes) built once from the
config, and `AdminAuth`, the dependency that admits `Authorization: Bearer
<admin token>` (the token is read from `admin_token_file`; without one the
admin API answers 403). Accounts and roles come with the console issue.
Does not own: the sensor credentials (repo/sensors.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from collector.auth.deps import admin_api_auth
from collector.config import CollectorConfig
from collector.fleet.liveness import Thresholds
from yamori.errors import ConfigError


@dataclass(slots=True, frozen=True)
class FleetState:
    """Fleet settings resolved at app start."""

    limits: Thresholds
    admin_digest: str | None
    ca_pem: str | None


def fleet_state(config: CollectorConfig) -> FleetState:
    """Read the admin token and CA certificate files named by `config`."""
    admin = _read(config.admin_token_file, "admin_token_file").strip() or None
    ca_pem = _read(config.ca_cert_file, "ca_cert_file") or None
    digest = hashlib.sha256(admin.encode()).hexdigest() if admin else None
    return FleetState(Thresholds.from_config(config), digest, ca_pem)


def _read(path: str, key: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(key, f"cannot read {path}: {exc.strerror}") from exc


def get_fleet(request: Request) -> FleetState:
    fleet: FleetState = request.app.state.fleet
    return fleet


FleetDep = Annotated[FleetState, Depends(get_fleet)]


# The admin bearer token (machines, scripts) or a signed-in admin (console,
# CSRF-checked); see collector/auth/deps.py.
AdminAuth = Depends(admin_api_auth)
