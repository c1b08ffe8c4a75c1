"""Sessions and lockouts live in the database: two collector apps (two processes) share them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.auth.sessions import COOKIE_NAME
from collector.auth.testing import PASSWORD, add_user, sign_in
from collector.fleet.testing import fleet_config
from collector.main import create_app

BASE_URL = "https://testserver"


@pytest.fixture
def pair(tmp_path: Path, database_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps, as two collector processes behind one address, on one database."""
    config = fleet_config(tmp_path, database_url=database_url, login_max_failures=2)
    first, second = create_app(config), create_app(config)
    add_user(first, "aiko")
    with ExitStack() as stack:
        yield (stack.enter_context(TestClient(first, base_url=BASE_URL)),
               stack.enter_context(TestClient(second, base_url=BASE_URL)))


def test_a_session_opened_on_one_process_works_on_the_other(
        pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    csrf = sign_in(one, "aiko")
    two.cookies.set(COOKIE_NAME, one.cookies[COOKIE_NAME])
    assert two.get("/api/v1/session").json()["username"] == "aiko"
    assert two.get("/").status_code == 200
    changed = two.put("/api/v1/session/language", json={"lang": "en"},
                      headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 200
    assert one.get("/api/v1/session").json()["lang"] == "en"


def test_logout_on_one_process_ends_the_session_on_the_other(
        pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    csrf = sign_in(one, "aiko")
    two.cookies.set(COOKIE_NAME, one.cookies[COOKIE_NAME])
    assert two.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert one.get("/api/v1/session").status_code == 401


def test_failures_on_one_process_lock_the_account_on_the_other(
        pair: tuple[TestClient, TestClient]) -> None:
    one, two = pair
    for _ in range(2):
        wrong = one.post("/api/v1/session", json={"username": "aiko", "password": "x" * 12})
        assert wrong.status_code == 401
    answer = two.post("/api/v1/session", json={"username": "aiko", "password": PASSWORD})
    assert answer.status_code == 429 and "Retry-After" in answer.headers
