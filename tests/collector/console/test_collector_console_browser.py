"""The console in a real headless Chromium: signing in through the form, and the
live feed page, where new alerts appear without a reload.

Skipped when Chromium, chromedriver or selenium are missing (CI installs the
Debian packages chromium and chromium-driver).
"""

import shutil
import time
from pathlib import Path

import pytest
import requests

from collector.auth.testing import PASSWORD, add_user
from collector.testing import enroll, sample_alert, sample_batch, serve_in_thread, temp_config
from uplink.schema import BATCHES_PATH

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="Debian packages chromium and chromium-driver not installed")


def browser(tmp_path: Path):  # type: ignore[no-untyped-def]
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium'}", "--lang=ja"):
        options.add_argument(flag)
    # A browser set up in Japanese, as at the offices and the SOC.
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def rows(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.text for row in driver.find_elements("css selector", "#feed tbody tr")]


def submit_login(driver, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Fill in and send the login form the browser is showing."""
    driver.find_element("id", "username").clear()
    driver.find_element("id", "username").send_keys(username)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "submit").click()


def wait_for(driver, selector: str, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not driver.find_elements("css selector", selector):
        if time.monotonic() > deadline:
            raise AssertionError(f"{selector} did not appear; page: {driver.page_source[:500]}")
        time.sleep(0.1)


def test_sign_in_through_the_form_and_out_again(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as live:
        add_user(live.app, "aiko", "analyst")
        driver = browser(tmp_path)
        try:
            driver.get(live.url + "/")
            assert driver.current_url.startswith(live.url + "/login?next=")
            assert driver.find_element("id", "submit").text == "サインイン"
            submit_login(driver, "aiko", "not the password")
            wait_for(driver, "#login-error")
            assert "パスワードが違います" in driver.find_element("id", "login-error").text
            submit_login(driver, "aiko", PASSWORD)
            wait_for(driver, "#feed")
            assert driver.current_url == live.url + "/"
            assert "aiko でサインイン中" in driver.find_element("id", "viewer").text
            session = driver.get_cookie("yamori_session")
            assert session is not None and session["httpOnly"] and session["secure"]
            driver.find_element("css selector", "#logout button").click()
            wait_for(driver, "#login")
            driver.get(live.url + "/")
            assert driver.current_url.startswith(live.url + "/login")
        finally:
            driver.quit()


def test_language_link_switches_the_login_page(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as live:
        driver = browser(tmp_path)
        try:
            driver.get(live.url + "/login")
            assert driver.find_element("id", "submit").text == "サインイン"
            driver.find_element("css selector", '#languages a[hreflang="en"]').click()
            wait_for(driver, 'html[lang="en"]')
            assert driver.find_element("id", "submit").text == "Sign in"
        finally:
            driver.quit()


def test_new_alert_appears_without_reload(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as live:
        token = enroll(live.app)
        add_user(live.app, "aiko", "analyst")
        driver = browser(tmp_path)
        try:
            driver.get(live.url + "/")
            submit_login(driver, "aiko", PASSWORD)
            wait_for(driver, "#feed")
            assert rows(driver) == []
            alert = sample_alert(1)
            alert["alert"] = dict(alert["alert"], signature="ET MALWARE live feed browser check")
            reply = requests.post(live.url + BATCHES_PATH, json=sample_batch([alert]),
                                  headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert reply.status_code == 200
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not rows(driver):
                time.sleep(0.2)
            shown = rows(driver)
            assert len(shown) == 1
            assert "ET MALWARE live feed browser check" in shown[0]
            assert "2024-05-01 02:13:01" in shown[0]  # +09:00 event time, shown in JST
        finally:
            driver.quit()
