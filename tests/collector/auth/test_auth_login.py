"""Signing in and out through the real app: the form, the JSON API, cookies, expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from collector.auth.models import ConsoleSession, User
from collector.auth.sessions import COOKIE_NAME, session_digest
from collector.auth.testing import PASSWORD, add_user, form_token, sign_in
from collector.fleet.testing import fleet_config
from collector.main import create_app
from collector.state import AppState


def state(app: FastAPI) -> AppState:
    collector: AppState = app.state.collector
    return collector


def login_form(client: TestClient, username: str, password: str = PASSWORD,
               next_path: str = "/") -> httpx.Response:
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": form_token(page.text), "next": next_path},
                       follow_redirects=False)


def session_count(app: FastAPI) -> int:
    with state(app).database.session() as db:
        return int(db.scalar(select(func.count()).select_from(ConsoleSession)) or 0)


def test_feed_page_redirects_to_login_when_signed_out(client: TestClient) -> None:
    answer = client.get("/?tenant=tanaka-kogyo", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F%3Ftenant%3Dtanaka-kogyo"


def test_apis_answer_401_when_signed_out(client: TestClient) -> None:
    for path in ("/api/v1/session", "/api/v1/users", "/api/v1/audit"):
        assert client.get(path).status_code == 401


def test_form_login_sets_a_secure_httponly_lax_session_cookie(client: TestClient) -> None:
    answer = login_form(client, "aiko", next_path="/?tenant=tanaka-kogyo")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?tenant=tanaka-kogyo"
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith(COOKIE_NAME + "="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "path"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert "max-age" not in attributes and "expires" not in attributes
    assert client.get("/").status_code == 200


def test_form_login_without_the_form_token_is_refused(client: TestClient) -> None:
    answer = client.post("/login", data={"username": "aiko", "password": PASSWORD,
                                         "csrf_token": "forged", "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 403
    assert COOKIE_NAME not in client.cookies


def test_wrong_password_renders_the_form_again_with_401(client: TestClient) -> None:
    answer = login_form(client, "aiko", "not the password at all")
    assert answer.status_code == 401
    assert "ユーザー名またはパスワードが違います" in answer.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(app: FastAPI) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil"):
        with TestClient(app, base_url="https://testserver") as client:
            answer = login_form(client, "aiko", next_path=evil)
            assert answer.headers["location"] == "/"


def test_logout_ends_the_session_server_side(app: FastAPI, client: TestClient) -> None:
    login_form(client, "aiko")
    stolen = client.cookies[COOKIE_NAME]
    page = client.get("/")
    answer = client.post("/logout", data={"csrf_token": form_token(page.text)},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert session_count(app) == 0
    # A copy of the cookie taken before logout is worth nothing afterwards.
    with TestClient(app, base_url="https://testserver", cookies={COOKIE_NAME: stolen}) as thief:
        assert thief.get("/api/v1/session").status_code == 401


def test_json_login_answers_who_am_i(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"username": "Tanaka", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert (body["username"], body["role"], body["tenant"], body["lang"]) == \
        ("tanaka", "customer", "tanaka-kogyo", "ja")
    assert body["csrf_token"]
    assert client.get("/api/v1/session").json()["csrf_token"] == body["csrf_token"]


def test_json_login_with_a_wrong_password_is_401(client: TestClient) -> None:
    answer = client.post("/api/v1/session", json={"username": "aiko", "password": "nope" * 4})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid username or password"}


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    unknown = client.post("/api/v1/session", json={"username": "ghost", "password": "x" * 12})
    wrong = client.post("/api/v1/session", json={"username": "aiko", "password": "x" * 12})
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


def test_api_logout_deletes_the_session(app: FastAPI, client: TestClient) -> None:
    csrf = sign_in(client, "aiko")
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert session_count(app) == 0
    assert client.get("/api/v1/session").status_code == 401


@pytest.mark.sqlite_file
def test_only_the_session_id_digest_is_stored(app: FastAPI, client: TestClient) -> None:
    sign_in(client, "aiko")
    token = client.cookies[COOKIE_NAME]
    with state(app).database.session() as db:
        stored = db.scalars(select(ConsoleSession.id_sha256)).all()
    assert stored == [session_digest(token)]
    database_file = Path(str(state(app).database.engine.url.database))
    assert token.encode() not in database_file.read_bytes()


def test_login_records_last_login(app: FastAPI, client: TestClient) -> None:
    sign_in(client, "aiko")
    with state(app).database.session() as db:
        assert db.get(User, "aiko").last_login_at is not None  # type: ignore[union-attr]


def test_disabled_user_cannot_sign_in_and_loses_its_session(app: FastAPI,
                                                            client: TestClient) -> None:
    sign_in(client, "aiko")
    with state(app).database.session() as db:
        db.get(User, "aiko").disabled = True  # type: ignore[union-attr]
        db.commit()
    assert client.get("/api/v1/session").status_code == 401
    answer = client.post("/api/v1/session", json={"username": "aiko", "password": PASSWORD})
    assert answer.status_code == 401


def test_session_expires_after_the_ttl_without_use(tmp_path: Path) -> None:
    app = create_app(fleet_config(tmp_path, session_ttl_seconds=1.0))
    add_user(app, "aiko")
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, "aiko")
        assert client.get("/api/v1/session").status_code == 200
        expire_sessions(app, seconds_ago=0.01)
        assert client.get("/api/v1/session").status_code == 401


def test_use_slides_the_expiry_forward(tmp_path: Path) -> None:
    app = create_app(fleet_config(tmp_path, session_ttl_seconds=3600.0))
    add_user(app, "aiko")
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, "aiko")
        age_sessions(app, seconds=3000.0)  # last used 50 minutes ago, 10 minutes left
        before = expiry(app)
        assert client.get("/api/v1/session").status_code == 200
        assert (expiry(app) - before).total_seconds() > 2900


def expiry(app: FastAPI) -> datetime:
    with state(app).database.session() as db:
        return db.scalars(select(ConsoleSession.expires_at)).one()


def age_sessions(app: FastAPI, seconds: float) -> None:
    with state(app).database.session() as db:
        for row in db.scalars(select(ConsoleSession)):
            row.last_seen_at -= timedelta(seconds=seconds)
            row.expires_at -= timedelta(seconds=seconds)
        db.commit()


def expire_sessions(app: FastAPI, seconds_ago: float) -> None:
    with state(app).database.session() as db:
        for row in db.scalars(select(ConsoleSession)):
            row.expires_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
        db.commit()


def test_cookie_secure_false_drops_the_secure_attribute(tmp_path: Path) -> None:
    app = create_app(replace(fleet_config(tmp_path), cookie_secure=False))
    add_user(app, "aiko")
    with TestClient(app) as client:
        answer = client.post("/api/v1/session", json={"username": "aiko", "password": PASSWORD})
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "secure" not in cookie
        assert client.get("/api/v1/session").status_code == 200  # plain http works


def test_signing_in_again_replaces_the_old_session(app: FastAPI, client: TestClient) -> None:
    sign_in(client, "aiko")
    first = client.cookies[COOKIE_NAME]
    sign_in(client, "aiko")
    assert client.cookies[COOKIE_NAME] != first
    assert session_count(app) == 1
