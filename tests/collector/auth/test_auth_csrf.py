"""CSRF: a cookie session's unsafe requests carry its token; bearer requests need none."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.testclient import TestClient

from collector.auth.deps import CurrentUser, current_user
from collector.auth.principal import Principal
from collector.auth.testing import PASSWORD, form_token, sign_in
from collector.fleet.testing import admin_headers

LANGUAGE = "/api/v1/session/language"


def test_unsafe_request_without_the_token_is_403(client: TestClient) -> None:
    sign_in(client, "aiko")
    answer = client.put(LANGUAGE, json={"lang": "en"})
    assert answer.status_code == 403
    assert "X-CSRF-Token" in answer.json()["error"]
    assert client.get("/api/v1/session").json()["lang"] == "ja"  # nothing changed


def test_unsafe_request_with_a_wrong_token_is_403(client: TestClient) -> None:
    sign_in(client, "aiko")
    assert client.put(LANGUAGE, json={"lang": "en"},
                      headers={"X-CSRF-Token": "guessed"}).status_code == 403


def test_token_of_another_session_is_refused(client: TestClient, other_client: TestClient) -> None:
    sign_in(client, "aiko")
    foreign = sign_in(other_client, "root")
    assert client.put(LANGUAGE, json={"lang": "en"},
                      headers={"X-CSRF-Token": foreign}).status_code == 403


def test_header_token_is_accepted(client: TestClient) -> None:
    csrf = sign_in(client, "aiko")
    answer = client.put(LANGUAGE, json={"lang": "en"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200 and answer.json()["lang"] == "en"


def test_safe_methods_need_no_token(client: TestClient) -> None:
    sign_in(client, "aiko")
    assert client.get("/api/v1/session").status_code == 200
    assert client.get("/").status_code == 200


def test_logout_form_without_the_token_keeps_the_session(client: TestClient) -> None:
    sign_in(client, "aiko")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/v1/session").status_code == 200


def test_logout_form_field_token_is_accepted(client: TestClient) -> None:
    sign_in(client, "aiko")
    token = form_token(client.get("/").text)  # the feed page's logout form
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/api/v1/session").status_code == 401


def test_form_field_token_leaves_the_form_readable_to_the_route(app: FastAPI,
                                                              client: TestClient) -> None:
    @app.post("/test-note")
    def note(user: CurrentUser, text: Annotated[str, Form()]) -> dict[str, str]:
        return {"by": user.username, "text": text}

    csrf = sign_in(client, "aiko")
    answer = client.post("/test-note", data={"csrf_token": csrf, "text": "家守"})
    assert answer.json() == {"by": "aiko", "text": "家守"}
    multipart = client.post("/test-note", data={"csrf_token": csrf, "text": "x"},
                            files={"f": ("a.txt", b"a")})
    assert multipart.status_code == 200
    assert client.post("/test-note", data={"text": "x"}).status_code == 403


def test_bearer_requests_need_no_token(client: TestClient) -> None:
    answer = client.post("/api/v1/users", headers=admin_headers(),
                         json={"username": "night1", "password": PASSWORD, "role": "analyst"})
    assert answer.status_code == 201


def test_dependency_override_of_current_user_still_works(app: FastAPI,
                                                         client: TestClient) -> None:
    app.dependency_overrides[current_user] = lambda: Principal("fake", "admin")
    assert client.get("/api/v1/users").status_code == 200
