"""Helpers for tests that need console users (ours and other modules' tests).

Owns: creating a user straight in an app's database, signing a test client
in through the JSON session API (returning the CSRF token unsafe requests
need), and reading the token out of a rendered form. Does not own: any
production behaviour.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

import httpx
from fastapi import FastAPI

from collector.auth.models import User
from collector.auth.passwords import hash_password
from collector.auth.users import normalize_username
from collector.state import AppState

PASSWORD = "correct horse battery staple"
_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def add_user(app: FastAPI, username: str, role: str = "analyst", tenant: str | None = None,
             language: str = "ja", password: str = PASSWORD) -> str:
    """Create a user in `app`'s database; returns the username as stored.

    The row is written directly, with one argon2 hash per password per test
    process (hashing costs ~0.1 s); users.create_user's checks have tests of
    their own.
    """
    state: AppState = app.state.collector
    name = normalize_username(username)
    with state.database.session() as db:
        db.add(User(username=name, password_hash=_hashed(password), role=role, tenant=tenant,
                    language=language, disabled=False, created_at=datetime.now(UTC)))
        db.commit()
    return name


@cache
def _hashed(password: str) -> str:
    return hash_password(password)


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> str:
    """Sign `client` in (its cookie jar keeps the session); returns the CSRF token."""
    answer = client.post("/api/v1/session", json={"username": username, "password": password})
    if answer.status_code != 200:
        raise AssertionError(f"sign-in as {username} failed: {answer.status_code} {answer.text}")
    token: str = answer.json()["csrf_token"]
    return token


def form_token(html: str) -> str:
    """The csrf_token hidden field of the first form in `html`."""
    found = _FORM_TOKEN.search(html)
    if found is None:
        raise AssertionError("no csrf_token field in the page")
    return found.group(1)
