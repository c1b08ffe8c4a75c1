"""Fixtures for the accounts tests: a collector with an admin token and a few users.

The client talks https://testserver so that the session cookie, Secure by
default, is sent back as a browser would send it. A test marked
`sqlite_file` (it reads the database file's bytes) gets a SQLite collector
even when the suite runs on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.auth.testing import add_user
from collector.fleet.testing import fleet_config
from collector.main import create_app

BASE_URL = "https://testserver"


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> FastAPI:
    """A collector whose admin API takes fleet.testing.ADMIN_TOKEN, with three users."""
    config = fleet_config(tmp_path)
    if request.node.get_closest_marker("sqlite_file") is not None:
        config = replace(config, database_url=f"sqlite:///{tmp_path / 'file.sqlite'}")
    collector = create_app(config)
    add_user(collector, "root", "admin", language="en")
    add_user(collector, "aiko", "analyst")
    add_user(collector, "tanaka", "customer", tenant="tanaka-kogyo")
    return collector


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite, then PostgreSQL (skipped when the server is not there)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser on the same app (its own cookie jar)."""
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client
