"""The live feed page in a real headless Chromium: new alerts appear without a reload.

Skipped when Chromium, chromedriver or selenium are missing (CI installs the
Debian packages chromium and chromium-driver).
"""

import shutil
import time
from pathlib import Path

import pytest
import requests

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
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def rows(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.text for row in driver.find_elements("css selector", "#feed tbody tr")]


def test_new_alert_appears_without_reload(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as live:
        token = enroll(live.app)
        driver = browser(tmp_path)
        try:
            driver.get(live.url + "/")
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
