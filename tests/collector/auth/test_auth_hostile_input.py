"""Hostile account input gets a 4xx, on SQLite and on PostgreSQL (which refuses NUL in text)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.auth.testing import PASSWORD, add_user
from collector.fleet.testing import admin_headers, fleet_config
from collector.main import create_app


@pytest.fixture
def admin_client(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    app = create_app(fleet_config(tmp_path, database_url=database_url))
    add_user(app, "root", "admin")
    with TestClient(app, base_url="https://testserver") as client:
        yield client


@pytest.mark.parametrize("username", ["ro\x00ot", "\x00", "x" * 300, "ルート", "root\n"])
def test_odd_usernames_fail_to_sign_in_cleanly(admin_client: TestClient, username: str) -> None:
    answer = admin_client.post("/api/v1/session",
                               json={"username": username, "password": PASSWORD + "\x00"})
    assert answer.status_code in (401, 422), answer.text


def test_nul_in_user_fields_is_refused(admin_client: TestClient) -> None:
    headers = admin_headers()
    for body in ({"username": "a\x00b", "password": PASSWORD, "role": "analyst"},
                 {"username": "cust", "password": PASSWORD, "role": "customer",
                  "tenant": "t\x00"}):
        assert admin_client.post("/api/v1/users", json=body, headers=headers).status_code == 422
    assert admin_client.patch("/api/v1/users/a%00b", json={"disabled": True},
                              headers=headers).status_code == 404
    assert admin_client.get("/api/v1/audit", params={"tenant": "t\x00"},
                            headers=headers).status_code == 422


def test_nul_in_a_password_is_just_a_character(admin_client: TestClient) -> None:
    body = {"username": "nul", "password": PASSWORD + "\x00!", "role": "analyst"}
    assert admin_client.post("/api/v1/users", json=body,
                             headers=admin_headers()).status_code == 201
    ok = admin_client.post("/api/v1/session", json={"username": "nul",
                                                    "password": PASSWORD + "\x00!"})
    assert ok.status_code == 200
