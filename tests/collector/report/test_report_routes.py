"""GET /api/v1/reports/{tenant}/{month}.json|.html|.pdf: staff see any, a customer only their own.

The app runs on the session's 100,000-alert store; users sign in through the
real session API (cookies over https://testserver, as the console does).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.auth.testing import add_user, sign_in
from collector.config import CollectorConfig
from collector.main import create_app
from collector.report.testing import MONTH, OTHER_TENANT, TENANT

REPORT = f"/api/v1/reports/{TENANT}/{MONTH}"


@pytest.fixture(scope="module")
def app(report_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    config = CollectorConfig(database_url=report_store.url, port=0)
    collector = create_app(config)
    add_user(collector, "ana", "analyst")
    add_user(collector, "tanaka", "customer", tenant=TENANT)
    add_user(collector, "tanaka-en", "customer", tenant=TENANT, language="en")
    add_user(collector, "sato", "customer", tenant=OTHER_TENANT)
    yield collector
    collector.state.collector.database.dispose()


def client_for(app: FastAPI, username: str | None) -> TestClient:
    client = TestClient(app, base_url="https://testserver")
    if username is not None:
        sign_in(client, username)
    return client


def test_staff_get_the_json_twin(app: FastAPI, expected: Any) -> None:
    answer = client_for(app, "ana").get(REPORT + ".json")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["tenant"] == TENANT and data["alerts"]["total"] == 100_000
    by_level = {s["severity"]: s["count"] for s in data["alerts"]["by_severity"]}
    assert by_level == expected.alerts_by_level(TENANT)
    assert answer.headers["cache-control"] == "private, no-store"


def test_html_and_pdf(app: FastAPI, tmp_path: Path) -> None:
    client = client_for(app, "tanaka")
    page = client.get(REPORT + ".html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "月次監視報告書" in page.text and '<html lang="ja">' in page.text
    pdf = client.get(REPORT + ".pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="report-{TENANT}-{MONTH}.pdf"' in pdf.headers["content-disposition"]


def test_language_follows_the_user_unless_asked(app: FastAPI) -> None:
    client = client_for(app, "tanaka-en")
    assert '<html lang="en">' in client.get(REPORT + ".html").text
    assert '<html lang="ja">' in client.get(REPORT + ".html?lang=ja").text
    assert client.get(REPORT + ".json?lang=en").json()["lang"] == "en"


@pytest.mark.parametrize("suffix", [".json", ".html", ".pdf"])
def test_a_customer_sees_no_other_tenant(app: FastAPI, suffix: str) -> None:
    client = client_for(app, "sato")
    foreign = client.get(REPORT + suffix)
    absent = client.get(f"/api/v1/reports/no-such-tenant/{MONTH}{suffix}")
    # Another customer's report and a tenant that does not exist answer alike.
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json()["error"].replace(TENANT, "T") == absent.json()["error"].replace(
        "no-such-tenant", "T")
    assert client.get(f"/api/v1/reports/{OTHER_TENANT}/{MONTH}.json").status_code == 200


@pytest.mark.parametrize(("path", "status"), [
    (f"/api/v1/reports/{TENANT}/2026-13.json", 422),
    (f"/api/v1/reports/{TENANT}/{MONTH}.json?lang=fr", 422),
    (f"/api/v1/reports/nobody/{MONTH}.json", 404),
])
def test_bad_requests(app: FastAPI, path: str, status: int) -> None:
    answer = client_for(app, "ana").get(path)
    assert answer.status_code == status and "error" in answer.json()


def test_sign_in_required(app: FastAPI) -> None:
    assert client_for(app, None).get(REPORT + ".json").status_code == 401
