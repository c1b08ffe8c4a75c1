"""The console in headless Chromium: alerts sent along the agent's path appear live, an
alert storm is one incident row, and the filter forms narrow the feed and the list.

Every alert goes through the real ingest path (POST /api/v1/batches with a
sensor token) of a collector served on loopback.
"""

from __future__ import annotations

from typing import Any

from collector.auth.testing import PASSWORD
from collector.console.testing import post_alerts, save_screenshot, sign_in_form, timed, wait_until
from collector.testing import sample_alert

LIVE_SECONDS = 2.0  # issue 7: a new alert appears in an open feed within 2 s of ingest


def alert(n: int, signature: str, sid: int, src_ip: str = "192.168.1.23") -> dict[str, Any]:
    """A sample alert of rule `sid`: incidents group by tenant, rule, source and destination."""
    record = sample_alert(n, src_ip=src_ip)
    record["alert"] = dict(record["alert"], signature=signature, signature_id=sid)
    return record


def row_texts(driver: Any, table_id: str) -> list[str]:
    """The rows' text in one read: the incident list redraws itself while we look."""
    texts: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.innerText);",
        f"#{table_id} tbody tr")
    return texts


def rows_with(driver: Any, table_id: str, text: str) -> list[str]:
    return [row for row in row_texts(driver, table_id) if text in row]


def incident_count(driver: Any, signature: str) -> str | None:
    """The count cell of the one incident row showing `signature` (None if not one)."""
    counts: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('#incidents tbody tr'))"
        ".filter(r => r.querySelector('td.sig').textContent === arguments[0])"
        ".map(r => r.querySelector('td.count').textContent);", signature)
    return counts[0] if len(counts) == 1 else None


def mark_page(driver: Any) -> None:
    """A flag that a reload would wipe: proves an update came without one."""
    driver.execute_script("window.__notReloaded = true;")


def not_reloaded(driver: Any) -> bool:
    return bool(driver.execute_script("return window.__notReloaded === true;"))


def test_new_alerts_appear_live_on_the_feed_and_the_incident_list(console: Any,
                                                                  driver: Any) -> None:
    sign_in_form(driver, console.url, "aiko", PASSWORD)
    wait_until(lambda: driver.find_element("css selector", '#conn[data-state="live"]'),
               what="the feed's stream to connect")
    mark_page(driver)
    send = console.sensor_token
    post_alerts(console.url, send, [alert(1, "ET MALWARE live feed check", 2900001)])
    took = timed(lambda: rows_with(driver, "feed", "ET MALWARE live feed check"),
                 what="the new alert in the feed")
    assert took < LIVE_SECONDS and not_reloaded(driver)
    row = driver.find_element("css selector", "#feed tbody tr")
    assert "ET MALWARE live feed check" in row.text
    assert "2024-05-01 02:13:01" in row.text  # +09:00 event time, shown in JST
    assert row.find_element("css selector", "td.sig a").get_attribute("href").endswith(
        f"/alerts/{row.get_attribute('data-id')}")
    save_screenshot(driver, "feed")

    driver.get(console.url + "/incidents")
    wait_until(lambda: driver.find_element("css selector", '#conn[data-state="live"]'),
               what="the incident list's stream to connect")
    mark_page(driver)
    post_alerts(console.url, send, [alert(2, "ET TROJAN incident live check", 2900002)])
    took = timed(lambda: incident_count(driver, "ET TROJAN incident live check") == "1",
                 what="the new incident row")
    assert took < LIVE_SECONDS
    post_alerts(console.url, send, [alert(3, "ET TROJAN incident live check", 2900002)])
    took = timed(lambda: incident_count(driver, "ET TROJAN incident live check") == "2",
                 what="the incident row's count to grow")
    assert took < LIVE_SECONDS and not_reloaded(driver)
    row = rows_with(driver, "incidents", "ET TROJAN incident live check")[0]
    assert "192.168.1.23 → 203.0.113.9" in row and "新規" in row
    save_screenshot(driver, "incidents")


def test_a_storm_of_identical_alerts_is_one_row_and_filters_narrow(console: Any,
                                                                   driver: Any) -> None:
    storm = [alert(n, "ET SCAN storm of fifty", 2900003, "192.168.1.50") for n in range(50)]
    others = [alert(100 + n, "ET POLICY other host", 2900004, "192.168.1.60") for n in range(3)]
    post_alerts(console.url, console.sensor_token, storm + others)
    sign_in_form(driver, console.url, "aiko", PASSWORD, "/incidents")
    wait_until(lambda: incident_count(driver, "ET SCAN storm of fifty"), what="the storm's row")
    assert incident_count(driver, "ET SCAN storm of fifty") == "50"
    assert len(row_texts(driver, "incidents")) == 2

    apply_filter(driver, {"q": "storm"})
    assert "q=storm" in driver.current_url and "tenant=" not in driver.current_url
    wait_until(lambda: len(row_texts(driver, "incidents")) == 1, what="the filtered list")
    assert incident_count(driver, "ET SCAN storm of fifty") == "50"

    save_filter(driver, "storm only")
    driver.get(console.url + "/incidents")
    wait_until(lambda: len(row_texts(driver, "incidents")) == 2, what="the whole list")
    pick = driver.find_element("id", "saved-filter-list")
    pick.find_element("xpath", ".//option[text()='storm only']").click()
    driver.find_element("id", "saved-filter-apply").click()
    wait_until(lambda: "q=storm" in driver.current_url, what="the saved filter to apply")
    wait_until(lambda: len(row_texts(driver, "incidents")) == 1, what="the saved filter's list")

    # The alerts are at 02:13 JST: a range that ends before them shows nothing.
    driver.get(console.url + "/incidents")
    apply_filter(driver, {}, since="2024-05-01T02:00", until="2024-05-01T02:10")
    assert "since=2024-05-01T02%3A00%3A00%2B09%3A00" in driver.current_url
    wait_until(lambda: driver.find_element("id", "empty").is_displayed(), what="no incidents")
    assert row_texts(driver, "incidents") == []

    driver.get(console.url + "/")
    apply_filter(driver, {"src_ip": "192.168.1.60"})
    shown = wait_until(lambda: row_texts(driver, "feed"), what="the filtered feed")
    assert len(shown) == 3 and all("192.168.1.60" in row for row in shown)


def apply_filter(driver: Any, fields: dict[str, str], since: str = "", until: str = "") -> None:
    """Fill in the filter form the page shows and send it."""
    panel = driver.find_element("css selector", "details.filter-panel")
    if panel.get_attribute("open") is None:
        panel.find_element("tag name", "summary").click()
    form = driver.find_element("id", "filters")
    for name, value in fields.items():
        field = form.find_element("name", name)
        field.clear()
        field.send_keys(value)
    for name, value in (("since", since), ("until", until)):
        if value:
            picker = form.find_element("css selector", f'input[data-time-for="{name}"]')
            driver.execute_script("arguments[0].value = arguments[1];", picker, value)
    before = driver.current_url
    form.find_element("id", "apply-filters").click()
    wait_until(lambda: driver.current_url != before, what="the filtered page")


def save_filter(driver: Any, name: str) -> None:
    driver.find_element("id", "saved-filter-name").send_keys(name)
    driver.find_element("id", "saved-filter-save").click()
    wait_until(lambda: driver.find_elements(
        "xpath", f"//select[@id='saved-filter-list']/option[text()='{name}']"),
        what="the saved filter in the list")
