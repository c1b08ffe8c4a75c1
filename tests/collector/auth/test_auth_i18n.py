"""Languages: the catalogs agree, requests get the right one, and the pages switch."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from collector.auth.testing import sign_in
from collector.console.views import HERE as CONSOLE_DIR
from collector.fleet.testing import admin_headers, fleet_config
from collector.i18n import LANGUAGES, catalog, negotiate, translate
from collector.main import create_app

TEMPLATE_KEY = re.compile(r"""_\(\s*['"]([^'"]+)['"]\s*[,)]""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys() -> None:
    ja, en = catalog("ja"), catalog("en")
    assert set(ja) == set(en)


def test_catalogs_have_the_same_placeholders_and_no_empty_text() -> None:
    for key, text in catalog("ja").items():
        assert text.strip() and catalog("en")[key].strip(), key
        assert fields(text) == fields(catalog("en")[key]), key


def test_japanese_catalog_is_japanese() -> None:
    ja = catalog("ja")
    assert ja["login.submit"] == "サインイン"
    assert all(not text.isascii() for key, text in ja.items()
               if key.startswith(("login.", "nav.")))


def test_every_key_the_templates_use_exists() -> None:
    used = set()
    for template in (CONSOLE_DIR / "templates").glob("*.html"):
        used |= set(TEMPLATE_KEY.findall(template.read_text(encoding="utf-8")))
    assert used, "no translated strings found in the templates"
    used |= {f"lang.{code}" for code in LANGUAGES}  # login.html builds these keys
    for lang in LANGUAGES:
        assert used <= set(catalog(lang)), lang


def test_translate_fills_in_parameters() -> None:
    assert translate("ja", "nav.signed_in_as", username="aiko") == "aiko でサインイン中"
    assert translate("en", "nav.signed_in_as", username="aiko") == "Signed in as aiko"


def test_translate_falls_back_to_japanese_for_unknown_languages() -> None:
    assert translate("fr", "login.submit") == "サインイン"


def test_a_missing_key_is_a_bug() -> None:
    with pytest.raises(KeyError):
        translate("en", "no.such.key")


@pytest.mark.parametrize("header, default, expected", [
    (None, "ja", "ja"),
    ("", "en", "en"),
    ("en-US,en;q=0.9", "ja", "en"),
    ("ja,en-US;q=0.8", "en", "ja"),
    ("en;q=0.5,ja;q=0.9", "en", "ja"),
    ("fr-FR,fr;q=0.9", "ja", "ja"),
    ("fr,en;q=0.3", "ja", "en"),
    ("en;q=0", "ja", "ja"),
    ("en;q=banana", "ja", "ja"),
])
def test_negotiate(header: str | None, default: str, expected: str) -> None:
    assert negotiate(header, default) == expected


def test_login_page_is_japanese_by_default(client: TestClient) -> None:
    page = client.get("/login").text
    assert '<html lang="ja">' in page
    assert "ユーザー名" in page and "Username" not in page


def test_login_page_follows_accept_language_when_it_prefers_english(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9,ja;q=0.5"}).text
    assert '<html lang="en">' in page and "Username" in page


def test_language_switch_changes_the_login_page_and_is_remembered(client: TestClient) -> None:
    assert "パスワード" in client.get("/login").text
    switched = client.get("/login", params={"lang": "en"}).text
    assert "Password" in switched and "パスワード" not in switched
    assert "Password" in client.get("/login").text  # the cookie keeps the choice
    assert "パスワード" in client.get("/login", params={"lang": "ja"}).text
    assert "パスワード" in client.get("/login").text


def test_unsupported_language_choice_is_refused(client: TestClient) -> None:
    assert client.get("/login", params={"lang": "fr"}).status_code == 422


def test_default_language_setting_applies_to_anonymous_visitors(tmp_path: Path) -> None:
    app = create_app(replace(fleet_config(tmp_path), default_language="en"))
    with TestClient(app, base_url="https://testserver") as client:
        assert "Username" in client.get("/login").text
        assert "ユーザー名" in client.get("/login", headers={"Accept-Language": "ja"}).text


def test_feed_page_speaks_the_users_language_and_switches(app: FastAPI,
                                                          client: TestClient) -> None:
    csrf = sign_in(client, "aiko")  # stored language: ja
    page = client.get("/", headers={"Accept-Language": "en"}).text
    assert "アラートはまだありません" in page and "aiko でサインイン中" in page
    answer = client.put("/api/v1/session/language", json={"lang": "en"},
                        headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 200 and answer.json()["lang"] == "en"
    page = client.get("/").text
    assert '<html lang="en">' in page and "No alerts yet" in page
    assert "Signed in as aiko" in page


def test_language_choice_outlives_the_session_on_the_login_page(client: TestClient) -> None:
    csrf = sign_in(client, "aiko")
    client.put("/api/v1/session/language", json={"lang": "en"}, headers={"X-CSRF-Token": csrf})
    client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert "Username" in client.get("/login").text


def test_bearer_admin_has_no_stored_language(client: TestClient) -> None:
    answer = client.put("/api/v1/session/language", json={"lang": "en"},
                        headers=admin_headers())
    assert answer.status_code == 400
