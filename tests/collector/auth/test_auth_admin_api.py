"""The fleet admin API: the admin bearer token still works; `admin_api_auth` also admits admins.

`admin_api_auth` is meant to replace fleet.admin's `admin_auth` behind
`AdminAuth`; until then it is exercised here on a route of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from collector.auth.deps import admin_api_auth
from collector.auth.principal import Principal
from collector.auth.testing import add_user, sign_in
from collector.fleet.testing import admin_headers, fleet_config
from collector.main import create_app

GATED = "/test-fleet-admin"
FleetAdmin = Annotated[Principal, Depends(admin_api_auth)]


def mount_gated(app: FastAPI) -> str:
    """A POST route behind admin_api_auth, as the fleet admin routes would be."""

    @app.post(GATED)
    def act(who: FleetAdmin) -> dict[str, str]:
        return {"who": who.username}

    return GATED


@pytest.fixture
def gated(app: FastAPI) -> str:
    return mount_gated(app)


def test_existing_admin_bearer_api_still_works(client: TestClient) -> None:
    assert client.get("/api/v1/sensors", headers=admin_headers()).status_code == 200
    answer = client.post("/api/v1/enrollment-tokens", json={"tenant": "tanaka-kogyo"},
                         headers=admin_headers())
    assert answer.status_code == 201
    assert client.get("/api/v1/sensors").status_code == 401
    assert client.get("/api/v1/sensors", headers=admin_headers("wrong")).status_code == 401


def test_bearer_token_is_admitted_without_csrf(client: TestClient, gated: str) -> None:
    assert client.post(gated, headers=admin_headers()).json() == {"who": "admin-token"}
    assert client.post(gated, headers=admin_headers("wrong")).status_code == 401


def test_signed_in_admin_is_admitted_with_its_csrf_token(client: TestClient, gated: str) -> None:
    csrf = sign_in(client, "root")
    assert client.post(gated).status_code == 403  # cookie without the CSRF token
    assert client.post(gated, headers={"X-CSRF-Token": csrf}).json() == {"who": "root"}


def test_other_roles_and_strangers_are_refused(client: TestClient, other_client: TestClient,
                                               gated: str) -> None:
    assert client.post(gated).status_code == 401
    csrf = sign_in(client, "aiko")
    assert client.post(gated, headers={"X-CSRF-Token": csrf}).status_code == 403
    csrf = sign_in(other_client, "tanaka")
    assert other_client.post(gated, headers={"X-CSRF-Token": csrf}).status_code == 403


def test_bearer_without_a_configured_token_is_403_but_admins_get_in(tmp_path: Path) -> None:
    app = create_app(fleet_config(tmp_path, admin_token_file=""))
    add_user(app, "root", "admin")
    mount_gated(app)
    with TestClient(app, base_url="https://testserver") as client:
        assert client.post(GATED, headers=admin_headers()).status_code == 403
        csrf = sign_in(client, "root")
        assert client.post(GATED, headers={"X-CSRF-Token": csrf}).json() == {"who": "root"}
