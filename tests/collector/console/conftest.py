"""Fixtures for the console's page and browser tests.

`console`: a real collector served on loopback (uvicorn in a thread, a
temporary database, an admin bearer token), with an analyst, an admin and
two customer viewers of two tenants, each tenant with one enrolled sensor.
`driver`: a headless Chromium (skipped, saying why, when chromium,
chromedriver or selenium are missing), quit afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from collector.auth.testing import add_user
from collector.console.testing import browser_missing, start_browser
from collector.testing import ADMIN_TOKEN, enroll, serve_in_thread, temp_config

TENANT = "tanaka-kogyo"
OTHER_TENANT = "sato-shoji"


@dataclass(slots=True)
class Console:
    """A collector on loopback and what the tests need to use it."""

    app: FastAPI
    url: str
    sensor_token: str  # pi-001 of `tenant`
    other_sensor_token: str  # pi-002 of `other_tenant`
    tenant: str = TENANT
    other_tenant: str = OTHER_TENANT


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with serve_in_thread(temp_config(tmp_path, admin_token=ADMIN_TOKEN)) as live:
        add_user(live.app, "aiko", "analyst", language="ja")
        add_user(live.app, "root", "admin", language="en")
        add_user(live.app, "tanaka", "customer", tenant=TENANT, language="ja")
        add_user(live.app, "sato", "customer", tenant=OTHER_TENANT, language="ja")
        yield Console(live.app, live.url, enroll(live.app, "pi-001", TENANT),
                      enroll(live.app, "pi-002", OTHER_TENANT))


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    browser = start_browser(tmp_path / "chromium")
    try:
        yield browser
    finally:
        browser.quit()
