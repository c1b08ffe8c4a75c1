"""The customer's side in headless Chromium: a customer viewer sees only their own tenant
(another tenant's incident or alert answers 404 even when typed into the address bar),
their view fits a phone in plain Japanese, and the language switch changes the console.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from collector.auth.testing import PASSWORD
from collector.console.testing import (
    backdate_heartbeat,
    emulate_phone,
    post_alerts,
    save_screenshot,
    send_heartbeat,
    session_cookies,
    sign_in_form,
    wait_until,
)
from collector.guidance import guidance_for
from collector.testing import ADMIN_TOKEN, admin_headers, enroll, sample_alert

CATEGORY = "A Network Trojan was detected"


def tenant_alert(n: int, signature: str, sid: int) -> dict[str, Any]:
    record = sample_alert(n)
    record["alert"] = dict(record["alert"], signature=signature, signature_id=sid,
                           category=CATEGORY)
    return record


def newest(console: Any, what: str, tenant: str) -> int:
    """The id of `tenant`'s newest incident or alert, as an admin sees it."""
    answer = requests.get(f"{console.url}/api/v1/{what}", params={"tenant": tenant},
                          headers=admin_headers(ADMIN_TOKEN), timeout=10)
    answer.raise_for_status()
    return int(answer.json()[what][0]["id"])


def test_customer_sees_only_their_tenant_even_by_editing_the_url(console: Any,
                                                                 driver: Any) -> None:
    post_alerts(console.url, console.sensor_token,
                [tenant_alert(1, "ET TROJAN seen at tanaka", 2900020)])
    post_alerts(console.url, console.other_sensor_token,
                [tenant_alert(2, "ET TROJAN seen at sato", 2900021)], sensor_id="pi-002")
    theirs_incident = newest(console, "incidents", console.other_tenant)
    theirs_alert = newest(console, "alerts", console.other_tenant)
    mine_incident = newest(console, "incidents", console.tenant)

    sign_in_form(driver, console.url, "tanaka", PASSWORD, "/my")
    wait_until(lambda: driver.find_elements("id", "customer-view"), what="the customer view")
    page = driver.page_source
    assert "ET TROJAN seen at tanaka" in page and "sato" not in page
    driver.get(console.url + "/")
    assert "ET TROJAN seen at tanaka" in driver.page_source
    assert "ET TROJAN seen at sato" not in driver.page_source

    driver.get(f"{console.url}/incidents/{theirs_incident}")
    status = driver.find_element("id", "error-page").get_attribute("data-status")
    assert status == "404" and "ET TROJAN seen at sato" not in driver.page_source
    driver.get(f"{console.url}/alerts/{theirs_alert}")
    assert "no alert" in driver.page_source and "seen at sato" not in driver.page_source
    driver.get(f"{console.url}/my?tenant={console.other_tenant}")
    assert driver.find_element("id", "error-page").get_attribute("data-status") == "404"
    # A staff page sends the customer to their own view; their own incident is on it.
    driver.get(f"{console.url}/incidents/{mine_incident}")
    wait_until(lambda: driver.current_url.endswith(f"/my#incident-{mine_incident}"),
               what="the customer's own incident")

    # The same session, asked directly: every one of these is a 404, not a 403.
    cookies = session_cookies(driver)
    for path in (f"/incidents/{theirs_incident}", f"/alerts/{theirs_alert}",
                 f"/api/v1/incidents/{theirs_incident}", f"/api/v1/alerts/{theirs_alert}",
                 f"/my?tenant={console.other_tenant}"):
        answer = requests.get(console.url + path, cookies=cookies, timeout=10,
                              allow_redirects=False)
        assert answer.status_code == 404, path
        assert "seen at sato" not in answer.text
    sensors = requests.get(console.url + "/api/v1/sensors", cookies=cookies, timeout=10)
    assert [s["sensor_id"] for s in sensors.json()["sensors"]] == ["pi-001"]


def test_customer_view_fits_a_phone_in_plain_japanese(console: Any, driver: Any) -> None:
    send_heartbeat(console.url, console.sensor_token, "pi-001")
    spare = enroll(console.app, "pi-009", console.tenant)
    send_heartbeat(console.url, spare, "pi-009")
    backdate_heartbeat(console.app, "pi-009", 600)  # unplugged ten minutes ago
    post_alerts(console.url, console.sensor_token,
                [tenant_alert(n, "ET TROJAN beacon to c2", 2900030) for n in range(4)])
    emulate_phone(driver)
    sign_in_form(driver, console.url, "tanaka", PASSWORD, "/my")
    view = wait_until(lambda: driver.find_element("id", "customer-view"), what="the view")

    width, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth];")
    assert inner == 390 and width <= inner, f"horizontal scroll: {width} px in {inner}"
    assert driver.find_element("tag name", "html").get_attribute("lang") == "ja"
    advice = guidance_for(CATEGORY, 1, 2900030, "ja")
    card = view.find_element("css selector", "#my-incidents article.incident")
    assert advice.what in card.text and advice.action in card.text
    assert "192.168.1.23" in card.text and "4 回検知" in card.text
    sensor_text = view.find_element("id", "my-sensors").text
    assert "監視中" in sensor_text
    assert "停止中: 監視装置の電源・ケーブルをご確認ください" in sensor_text

    months = [li.get_attribute("data-month")
              for li in view.find_elements("css selector", "#my-reports li")]
    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    last = f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
    assert len(months) == 12 and months[0] == last
    pdf = view.find_element("css selector", f'#my-reports li[data-month="{last}"] a[href$=".pdf"]')
    assert pdf.get_attribute("href").endswith(f"/api/v1/reports/{console.tenant}/{last}.pdf")
    report = requests.get(f"{console.url}/api/v1/reports/{console.tenant}/{last}.html",
                          cookies=session_cookies(driver), timeout=60)
    assert report.status_code == 200
    assert driver.find_elements("css selector", "#customer-view form") == []  # read-only
    save_screenshot(driver, "customer-phone")


def test_language_switch_changes_the_console_and_is_kept(console: Any, driver: Any) -> None:
    sign_in_form(driver, console.url, "aiko", PASSWORD, "/incidents")
    nav = wait_until(lambda: driver.find_element("id", "nav"), what="the navigation")
    assert "インシデント" in nav.text
    driver.find_element("css selector", '#lang-switch button[data-lang="en"]').click()
    wait_until(lambda: driver.find_element("tag name", "html").get_attribute("lang") == "en",
               what="the page in English")
    assert "Incidents" in driver.find_element("id", "nav").text
    assert "Signed in as aiko" in driver.find_element("id", "viewer").text
    driver.get(console.url + "/sensors")
    assert driver.find_element("tag name", "html").get_attribute("lang") == "en"
    assert "Sensors" in driver.find_element("id", "nav").text
    driver.find_element("css selector", '#lang-switch button[data-lang="ja"]').click()
    wait_until(lambda: driver.find_element("tag name", "html").get_attribute("lang") == "ja",
               what="the page in Japanese again")
    assert "センサー" in driver.find_element("id", "nav").text
