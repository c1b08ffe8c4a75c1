"""Triage in headless Chromium: an analyst acknowledges, assigns, notes and dispatches from
the incident page (each action audited, a refused one shown plainly), opens an alert's
detail, and reads the sensor board, offline first and sortable.
"""

from __future__ import annotations

from typing import Any

import requests

from collector.auth.testing import PASSWORD
from collector.console.testing import (
    backdate_heartbeat,
    post_alerts,
    save_screenshot,
    send_heartbeat,
    sign_in_form,
    wait_until,
)
from collector.guidance import guidance_for
from collector.testing import ADMIN_TOKEN, admin_headers, enroll, sample_alert

SIGNATURE = "ET TROJAN triage browser check"
SID = 2900010
CATEGORY = "A Network Trojan was detected"


def trojan_alerts(count: int) -> list[dict[str, Any]]:
    alerts = []
    for n in range(count):
        record = sample_alert(n)
        record["alert"] = dict(record["alert"], signature=SIGNATURE, signature_id=SID,
                               category=CATEGORY)
        alerts.append(record)
    return alerts


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element("id", element_id).text)


def state_is(driver: Any, state: str) -> bool:
    return driver.find_element("id", "incident-state").get_attribute("data-state") == state


def audit_entries(console: Any) -> list[dict[str, Any]]:
    answer = requests.get(console.url + "/api/v1/audit", headers=admin_headers(ADMIN_TOKEN),
                          timeout=10)
    answer.raise_for_status()
    entries: list[dict[str, Any]] = answer.json()["entries"]
    return entries


def test_triage_from_the_incident_page_is_audited_and_errors_are_plain(console: Any,
                                                                       driver: Any) -> None:
    post_alerts(console.url, console.sensor_token, trojan_alerts(3))
    sign_in_form(driver, console.url, "aiko", PASSWORD, "/incidents")
    wait_until(lambda: driver.find_element("link text", SIGNATURE), what="the incident row").click()
    wait_until(lambda: driver.find_elements("id", "incident"), what="the incident page")
    incident_id = int(driver.find_element("id", "incident").get_attribute("data-id"))
    assert state_is(driver, "new") and text_of(driver, "incident-count") == "3"
    advice = guidance_for(CATEGORY, 1, SID, "ja")
    customer_text = driver.find_element("css selector", '#guidance [data-lang="ja"]').text
    assert advice.what in customer_text and advice.action in customer_text

    driver.find_element("id", "to-acknowledged").click()
    wait_until(lambda: state_is(driver, "acknowledged"), what="the new state")
    target = f"incident:{incident_id}"
    assert any(e["action"] == "incident.state" and e["target"] == target and e["actor"] == "aiko"
               and e["detail"] == {"from": "new", "to": "acknowledged"}
               for e in audit_entries(console))

    driver.find_element("id", "assign-me").click()
    wait_until(lambda: text_of(driver, "incident-assignee") == "aiko", what="the assignee")
    note = "Beacon every 60 s to c2.example; called the office."
    driver.find_element("id", "note-text").send_keys(note)
    driver.find_element("css selector", "#note-form button").click()
    wait_until(lambda: "called the office" in text_of(driver, "note-list"), what="the note")
    driver.find_element("id", "dispatch-technician").send_keys("Suzuki")
    driver.find_element("id", "dispatch-reason").send_keys("unplug the infected PC on site")
    driver.find_element("css selector", "#dispatch-form button").click()
    wait_until(lambda: "Suzuki" in text_of(driver, "dispatch-list"), what="the dispatch record")
    actions = {e["action"] for e in audit_entries(console) if e["target"] == target}
    assert {"incident.state", "incident.assign", "incident.note", "dispatch.create"} <= actions
    save_screenshot(driver, "incident")

    # Another analyst moved it meanwhile: this page's button is now refused, and says why.
    moved = requests.post(f"{console.url}/api/v1/incidents/{incident_id}/state",
                          json={"state": "investigating"}, headers=admin_headers(ADMIN_TOKEN),
                          timeout=10)
    assert moved.status_code == 200
    driver.find_element("id", "to-investigating").click()
    error = wait_until(lambda: driver.find_element("id", "action-error").is_displayed()
                       and text_of(driver, "action-error"), what="the refusal")
    assert error.startswith("409:") and "investigating" in error

    driver.find_element("css selector", "#incident-alerts tbody tr a").click()
    wait_until(lambda: "/alerts/" in driver.current_url, what="the alert detail")
    assert text_of(driver, "signature") == SIGNATURE
    back = driver.find_element("id", "incident-link").get_attribute("href")
    assert back.endswith(f"/incidents/{incident_id}")
    assert "aiko" in text_of(driver, "viewer")  # the layout's header on the detail page too
    assert driver.find_element("id", "eve-fields").is_displayed()
    save_screenshot(driver, "alert-detail")


def test_sensor_board_shows_offline_first_and_sorts(console: Any, driver: Any) -> None:
    send_heartbeat(console.url, console.sensor_token, "pi-001")
    send_heartbeat(console.url, console.other_sensor_token, "pi-002", drops=250)
    backdate_heartbeat(console.app, "pi-002", 400)  # its power was cut minutes ago
    enroll(console.app, "pi-003", console.tenant)  # installed, never heard from
    sign_in_form(driver, console.url, "aiko", PASSWORD, "/sensors")
    wait_until(lambda: driver.find_elements("id", "sensors"), what="the sensor board")

    def order() -> list[tuple[str | None, str | None]]:
        rows = driver.find_elements("css selector", "#sensors tbody tr")
        return [(r.get_attribute("data-sensor"), r.get_attribute("data-state")) for r in rows]

    assert order() == [("pi-002", "offline"), ("pi-003", "pending"), ("pi-001", "online")]
    offline = driver.find_element("css selector", '#sensors tr[data-sensor="pi-002"]').text
    assert "停止" in offline and "sato-shoji" in offline and "2024.05.01-1" in offline
    assert "250" in offline  # drops
    save_screenshot(driver, "sensors")

    tenant_header = driver.find_elements("css selector", "#sensors thead th")[1]
    tenant_header.find_element("tag name", "button").click()
    assert [sensor for sensor, _ in order()][0] == "pi-002"  # sato-shoji sorts first
    assert tenant_header.get_attribute("aria-sort") == "ascending"
    tenant_header.find_element("tag name", "button").click()
    assert [sensor for sensor, _ in order()][-1] == "pi-002"
    assert tenant_header.get_attribute("aria-sort") == "descending"


def test_suppressing_the_whole_rule_resolves_and_creates_the_override(console: Any,
                                                                      driver: Any) -> None:
    post_alerts(console.url, console.sensor_token, trojan_alerts(2))
    sign_in_form(driver, console.url, "aiko", PASSWORD, "/incidents")
    wait_until(lambda: driver.find_element("link text", SIGNATURE), what="the incident row").click()
    wait_until(lambda: driver.find_elements("id", "suppress-form"), what="the incident page")
    driver.find_element("css selector", '#suppress-form input[value="rule"]').click()
    driver.find_element("id", "suppress-reason").send_keys("scanner of the office's own IT firm")
    driver.find_element("css selector", "#suppress-form button").click()
    wait_until(lambda: state_is(driver, "resolved_fp"), what="the incident resolved as FP")
    assert not driver.find_element("css selector", "#suppress-form button").is_enabled()
    answer = requests.get(f"{console.url}/api/v1/tenants/{console.tenant}/overrides",
                          headers=admin_headers(ADMIN_TOKEN), timeout=10)
    found = answer.json()["overrides"]
    assert [(o["sid"], o["kind"], o.get("ip")) for o in found] == [(SID, "suppress", None)]
