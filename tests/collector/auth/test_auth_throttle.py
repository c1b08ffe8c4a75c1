"""Login throttling: 429 with Retry-After after N failures per account or per address."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collector.auth.models import LoginFailure, User
from collector.auth.testing import PASSWORD, add_user, form_token
from collector.fleet.testing import fleet_config
from collector.main import create_app
from collector.state import AppState

MAX_FAILURES = 3
WINDOW = 600.0
WRONG = "definitely not it"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    collector = create_app(fleet_config(tmp_path, login_max_failures=MAX_FAILURES,
                                        login_window_seconds=WINDOW))
    for name in ("aiko", "root"):
        add_user(collector, name)
    return collector


def client_at(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(address, 40000))


@pytest.fixture
def here(app: FastAPI) -> Iterator[TestClient]:
    with client_at(app, "192.0.2.10") as c:
        yield c


def login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/session", json={"username": username, "password": password})


def fail(client: TestClient, username: str, times: int = MAX_FAILURES) -> None:
    for _ in range(times):
        assert login(client, username, WRONG).status_code == 401


def failures(app: FastAPI) -> int:
    state: AppState = app.state.collector
    with state.database.session() as db:
        return int(db.scalar(select(func.count()).select_from(LoginFailure)) or 0)


def age_failures(app: FastAPI, seconds: float) -> None:
    state: AppState = app.state.collector
    with state.database.session() as db:
        for row in db.scalars(select(LoginFailure)):
            row.at -= timedelta(seconds=seconds)
        db.commit()


def test_account_locks_after_n_failures_even_for_the_right_password(
        here: TestClient) -> None:
    fail(here, "aiko")
    answer = login(here, "aiko", PASSWORD)
    assert answer.status_code == 429
    assert 0 < int(answer.headers["Retry-After"]) <= WINDOW
    assert "too many" in answer.json()["error"]
    assert here.get("/api/v1/session").status_code == 401  # no session was opened


def test_account_lockout_holds_from_another_address(app: FastAPI, here: TestClient) -> None:
    fail(here, "aiko")
    with client_at(app, "198.51.100.7") as elsewhere:
        assert login(elsewhere, "aiko", PASSWORD).status_code == 429
        assert login(elsewhere, "root", PASSWORD).status_code == 200


def test_address_locks_after_n_failures_across_usernames(app: FastAPI, here: TestClient) -> None:
    for name in ("ghost1", "ghost2", "ghost3"):
        fail(here, name, times=1)
    assert login(here, "root", PASSWORD).status_code == 429
    with client_at(app, "198.51.100.7") as elsewhere:
        assert login(elsewhere, "root", PASSWORD).status_code == 200


def test_form_login_answers_429_with_retry_after(here: TestClient) -> None:
    fail(here, "aiko")
    page = here.get("/login")
    answer = here.post("/login", data={"username": "aiko", "password": PASSWORD,
                                       "csrf_token": form_token(page.text), "next": "/"},
                       follow_redirects=False)
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert "しばらくサインインできません" in answer.text


def test_lockout_ends_when_the_failures_leave_the_window(app: FastAPI, here: TestClient) -> None:
    fail(here, "aiko")
    assert login(here, "aiko", PASSWORD).status_code == 429
    age_failures(app, WINDOW + 1)
    assert login(here, "aiko", PASSWORD).status_code == 200


def test_retry_after_counts_down_from_the_oldest_failure_that_matters(
        app: FastAPI, here: TestClient) -> None:
    fail(here, "aiko")
    age_failures(app, 400)
    retry = int(login(here, "aiko", PASSWORD).headers["Retry-After"])
    assert WINDOW - 400 - 5 <= retry <= WINDOW - 400 + 1


def test_attempts_during_a_lockout_are_not_counted(app: FastAPI, here: TestClient) -> None:
    fail(here, "aiko")
    for _ in range(5):
        assert login(here, "aiko", WRONG).status_code == 429
    assert failures(app) == MAX_FAILURES


def test_success_forgets_the_accounts_failures(app: FastAPI, here: TestClient) -> None:
    fail(here, "aiko", times=MAX_FAILURES - 1)
    assert login(here, "aiko", PASSWORD).status_code == 200
    with client_at(app, "198.51.100.7") as elsewhere:
        fail(elsewhere, "aiko", times=MAX_FAILURES - 1)
        assert login(elsewhere, "aiko", PASSWORD).status_code == 200


def test_failures_and_lockouts_are_logged_without_the_password(
        here: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="collector.auth")
    fail(here, "aiko")
    login(here, "aiko", PASSWORD)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("login failed" in m for m in messages) == MAX_FAILURES
    assert any("lockout" in m for m in messages)
    assert any("login refused" in m and "locked out" in m for m in messages)
    assert all("aiko" in m and "192.0.2.10" in m for m in messages)
    text = caplog.text
    assert WRONG not in text and PASSWORD not in text


def count_verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        calls[0] += 1
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_unknown_and_disabled_users_cost_one_verification_like_real_ones(
        app: FastAPI, here: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    state: AppState = app.state.collector
    with state.database.session() as db:
        db.get(User, "root").disabled = True  # type: ignore[union-attr]
        db.commit()
    login(here, "ghost", WRONG)  # the dummy hash is made on first use: not timed below
    calls = count_verifications(monkeypatch)
    for name, password in (("aiko", WRONG), ("ghost", WRONG), ("root", PASSWORD)):
        before = calls[0]
        with client_at(app, f"203.0.113.{len(name)}") as c:
            assert login(c, name, password).status_code == 401
        assert calls[0] - before == 1, name


def test_timing_does_not_tell_whether_a_username_exists(tmp_path: Path) -> None:
    app = create_app(fleet_config(tmp_path, login_max_failures=100))
    add_user(app, "aiko")

    def median_seconds(username: str) -> float:
        samples = []
        for n in range(3):
            with client_at(app, f"203.0.113.{n}{len(username)}") as c:
                start = time.perf_counter()
                assert login(c, username, WRONG).status_code == 401
                samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    median_seconds("nobody")  # warm-up: the dummy hash is made on first use
    known, unknown = median_seconds("aiko"), median_seconds("nobody-at-all")
    # Both are dominated by one argon2 verification (~0.1 s); a missing
    # dummy verification would make the unknown case many times faster.
    assert 0.5 < unknown / known < 2.0
