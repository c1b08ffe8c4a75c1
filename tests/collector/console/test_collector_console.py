"""GET / (the live feed page) and its static files, seen by a signed-in analyst."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from collector.auth.testing import add_user, sign_in
from collector.console.views import jst
from collector.main import create_app
from collector.testing import enroll, sample_alert, sample_batch, temp_config
from uplink.schema import BATCHES_PATH


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(temp_config(tmp_path))
    add_user(app, "aiko", "analyst", language="en")
    # https: the session cookie is Secure, as in production.
    with TestClient(app, base_url="https://testserver") as test_client:
        sign_in(test_client, "aiko")
        yield test_client


def test_feed_page_requires_sign_in(tmp_path: Path) -> None:
    with TestClient(create_app(temp_config(tmp_path))) as anonymous:
        answer = anonymous.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F"


def test_empty_feed_page_renders(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "No alerts yet" in page.text


def test_feed_page_lists_alerts_in_tokyo_time(client: TestClient) -> None:
    token = enroll(client.app)  # type: ignore[arg-type]
    alert = sample_alert(1, timestamp="2024-04-30T17:13:01.000000+0000")
    client.post(BATCHES_PATH, json=sample_batch([alert]),
                headers={"Authorization": f"Bearer {token}"})
    page = client.get("/").text
    assert "ET POLICY Suspicious beacon" in page
    assert "2024-05-01 02:13:01" in page
    assert "tanaka-kogyo" in page
    assert 'data-last-id="1"' in page


def test_signature_text_is_escaped(client: TestClient) -> None:
    token = enroll(client.app)  # type: ignore[arg-type]
    alert = sample_alert(1)
    alert["alert"]["signature"] = "<script>alert(1)</script>"
    client.post(BATCHES_PATH, json=sample_batch([alert]),
                headers={"Authorization": f"Bearer {token}"})
    assert "<script>alert(1)</script>" not in client.get("/").text


def test_static_files_are_served_locally(client: TestClient) -> None:
    page = client.get("/").text
    # Relative links: no CDN, and nothing breaks behind a TLS-terminating proxy.
    assert "http://" not in page and "https://" not in page
    assert client.get("/static/feed.js").status_code == 200
    assert client.get("/static/feed.css").status_code == 200


def test_jst_converts_eve_offsets() -> None:
    assert jst("2024-05-01T02:13:05.123456+0900") == "2024-05-01 02:13:05"
    assert jst("2024-04-30T17:13:05.000000+0000") == "2024-05-01 02:13:05"


def test_jst_leaves_unparsable_text_alone() -> None:
    assert jst("garbage") == "garbage"
