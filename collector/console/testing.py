"""Helpers for driving the console in a real headless Chromium (tests only).

Owns: finding Debian's chromium and chromedriver (`browser_missing` says why
a test must skip), starting a headless browser set up in Japanese,
signing in through the login form, waiting for the page to reach a state
(`wait_until`, with the time it took), emulating a phone's viewport, sending
alerts and heartbeats along the agent's path (with a sensor token), making a
box look silent, and saving screenshots where YAMORI_SCREENSHOTS (default
artifacts/screenshots/ under the repository) says. Selenium is imported only when a browser is
started. Does not own: any production behaviour.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import requests

from uplink.schema import BATCHES_PATH, HEARTBEAT_PATH

SCREENSHOTS_ENV = "YAMORI_SCREENSHOTS"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
DESKTOP = (1440, 900)
PHONE = (390, 844)
T = TypeVar("T")


def browser_missing() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install the `test` extra)"
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "Debian packages chromium and chromium-driver are not installed"
    return None


def start_browser(profile_dir: Path, size: tuple[int, int] = DESKTOP) -> Any:
    """A headless Chromium whose preferred language is Japanese, as at the offices."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 f"--window-size={size[0]},{size[1]}", f"--user-data-dir={profile_dir}",
                 "--lang=ja"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"),
                            options=options)


def emulate_phone(driver: Any, size: tuple[int, int] = PHONE) -> None:
    """Make the page's viewport a phone's (CSS pixels, touch-sized, meta viewport honoured)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 2, "mobile": True})


def sign_in_form(driver: Any, base_url: str, username: str, password: str,
                 path: str = "/") -> None:
    """Open `path`, which sends us to the login form, and sign in there."""
    driver.get(base_url + path)
    driver.find_element("id", "username").send_keys(username)
    driver.find_element("id", "password").send_keys(password)
    driver.find_element("id", "submit").click()
    wait_until(lambda: "/login" not in driver.current_url, what="leaving the login page")


def wait_until(check: Callable[[], T], timeout: float = 10.0, what: str = "condition",
               interval: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; that value (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception:  # noqa: BLE001 - a stale element mid-redraw is just "not yet"
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def timed(check: Callable[[], T], timeout: float = 10.0, what: str = "condition") -> float:
    """Seconds until `check` first holds (AssertionError after `timeout`)."""
    started = time.monotonic()
    wait_until(check, timeout, what, interval=0.02)
    return time.monotonic() - started


def post_alerts(base_url: str, sensor_token: str, alerts: list[dict[str, Any]],
                sensor_id: str = "pi-001") -> dict[str, Any]:
    """Send alerts the way the agent's uplink does; the collector's JSON answer."""
    from collector.testing import sample_batch

    answer = requests.post(base_url + BATCHES_PATH, json=sample_batch(alerts, sensor_id),
                           headers={"Authorization": f"Bearer {sensor_token}"}, timeout=30)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def send_heartbeat(base_url: str, sensor_token: str, sensor_id: str, **fields: Any) -> None:
    """One heartbeat the way the agent sends it (`fields` override the sample's)."""
    from collector.fleet.testing import heartbeat_body

    answer = requests.post(base_url + HEARTBEAT_PATH, json=heartbeat_body(sensor_id, **fields),
                           headers={"Authorization": f"Bearer {sensor_token}"}, timeout=30)
    answer.raise_for_status()


def backdate_heartbeat(app: Any, sensor_id: str, seconds: float) -> None:
    """Pretend the sensor's last heartbeat came `seconds` ago (a box whose power was cut)."""
    from collector.models import SensorStatus

    with app.state.collector.database.session() as session:
        status = session.get(SensorStatus, sensor_id)
        if status is None:
            raise AssertionError(f"{sensor_id} has sent no heartbeat to backdate")
        status.last_heartbeat_at = datetime.now(UTC) - timedelta(seconds=seconds)
        session.commit()


def screenshots_dir() -> Path:
    """Where screenshots go: $YAMORI_SCREENSHOTS, else artifacts/screenshots/ (created)."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or DEFAULT_SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(driver: Any, name: str) -> Path:
    """The whole page (not just the viewport) as `<name>.png` in screenshots_dir()."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    view = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    clip = {"x": 0, "y": 0, "width": max(size["width"], view[0]),
            "height": max(size["height"], view[1]), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": clip})
    path = screenshots_dir() / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def session_cookies(driver: Any) -> dict[str, str]:
    """The browser's cookies, for checking the same session's answers with requests."""
    return {cookie["name"]: cookie["value"] for cookie in driver.get_cookies()}
