"""The console pages through the app (no browser): who may open which page, the filter
forms mapped onto the API, error pages, escaping, the sensor board API's scope, and the
helpers behind the pages (JST times, report months, the office's own device).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.auth.testing import add_user, sign_in
from collector.console.customer import internal_host, report_links
from collector.console.query import local_jst
from collector.console.templating import jst
from collector.fleet.liveness import SORT_ORDER
from collector.fleet.testing import heartbeat_body
from collector.guidance import LEVELS, guidance_for
from collector.i18n import LANGUAGES, catalog
from collector.incidents.states import STATES
from collector.main import create_app
from collector.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll,
    sample_alert,
    sample_batch,
    temp_config,
)
from uplink.schema import BATCHES_PATH, HEARTBEAT_PATH

TENANT, OTHER = "tanaka-kogyo", "sato-shoji"
PAGES = ("/incidents", "/incidents/1", "/sensors", "/my", "/admin/users", "/admin/audit")


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    collector = create_app(temp_config(tmp_path, admin_token=ADMIN_TOKEN))
    add_user(collector, "root", "admin", language="en")
    add_user(collector, "aiko", "analyst")
    add_user(collector, "tanaka", "customer", tenant=TENANT)
    add_user(collector, "nobody", "customer")  # a customer account not linked to a tenant
    return collector


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # https: the session cookie is Secure, as in production.
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def send(client: TestClient, sensor: str, tenant: str, alerts: list[dict[str, Any]]) -> None:
    token = enroll(client.app, sensor, tenant)  # type: ignore[arg-type]
    answer = client.post(BATCHES_PATH, json=sample_batch(alerts, sensor_id=sensor),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text


def rule_alert(n: int, signature: str, sid: int, **fields: Any) -> dict[str, Any]:
    record = sample_alert(n, **fields)
    record["alert"] = dict(record["alert"], signature=signature, signature_id=sid)
    return record


def incident_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr class="[^"]*" data-id="(\d+)"', html)]


@pytest.fixture
def two_tenants(client: TestClient) -> None:
    send(client, "pi-001", TENANT, [rule_alert(n, "ET TROJAN beacon", 2900101) for n in range(5)]
         + [rule_alert(9, "ET SCAN probe", 2900102, src_ip="192.168.1.77")])
    send(client, "pi-002", OTHER, [rule_alert(20, "ET TROJAN other office", 2900103)])


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_sign_in(client: TestClient, path: str) -> None:
    answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2F")


def test_customers_are_sent_to_their_own_view_from_staff_pages(client: TestClient) -> None:
    sign_in(client, "tanaka")
    for path in ("/incidents", "/sensors"):
        answer = client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/my")
    refused = client.get("/admin/users")
    assert refused.status_code == 403 and 'data-status="403"' in refused.text


def test_analysts_get_a_403_page_on_admin_pages(client: TestClient) -> None:
    sign_in(client, "aiko")
    for path in ("/admin/users", "/admin/audit"):
        answer = client.get(path)
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert "管理者だけ" in answer.text


def test_sensor_board_api_admits_staff_and_scopes_customers(client: TestClient) -> None:
    for sensor, tenant in (("pi-001", TENANT), ("pi-002", OTHER)):
        token = enroll(client.app, sensor, tenant)  # type: ignore[arg-type]
        client.post(HEARTBEAT_PATH, json=heartbeat_body(sensor),
                    headers={"Authorization": f"Bearer {token}"})
    sign_in(client, "aiko")
    board = client.get("/api/v1/sensors").json()["sensors"]
    assert sorted(s["sensor_id"] for s in board) == ["pi-001", "pi-002"]
    assert client.get("/api/v1/sensors/pi-001/heartbeats").status_code == 403
    sign_in(client, "tanaka")
    board = client.get("/api/v1/sensors").json()["sensors"]
    assert [(s["sensor_id"], s["tenant"]) for s in board] == [("pi-001", TENANT)]
    assert client.get("/api/v1/sensors/pi-002/heartbeats").status_code == 403
    sign_in(client, "nobody")
    assert client.get("/api/v1/sensors").status_code == 403
    assert client.get("/api/v1/sensors", headers=admin_headers(ADMIN_TOKEN)).status_code == 200


@pytest.mark.usefixtures("two_tenants")
def test_incident_list_filters_like_its_json_twin(client: TestClient) -> None:
    sign_in(client, "aiko")
    everything = incident_ids(client.get("/incidents").text)
    assert len(everything) == 3
    # Blank form fields mean "any", exactly as if they were not sent.
    page = client.get("/incidents", params={"q": "beacon", "tenant": "", "min_severity": "",
                                            "state": "new", "since": ""})
    assert page.status_code == 200
    api = client.get("/api/v1/incidents", params={"q": "beacon", "state": "new"}).json()
    assert len(api["incidents"]) == 1
    assert incident_ids(page.text) == [i["id"] for i in api["incidents"]]
    assert 'href="/api/v1/incidents?q=beacon&amp;state=new"' in page.text
    assert 'data-stream-query="q=beacon"' in page.text  # the stream takes no state filter
    by_source = client.get("/incidents", params={"src_ip": "192.168.1.77"}).text
    assert [i for i in incident_ids(by_source)] == [
        i["id"] for i in client.get("/api/v1/incidents", params={"src_ip": "192.168.1.77"})
        .json()["incidents"]]
    assert "ET SCAN probe" in by_source and "ET TROJAN beacon" not in by_source


@pytest.mark.parametrize("path, params, says", [
    ("/incidents", {"min_severity": "high"}, "min_severity"),
    ("/incidents", {"src_ip": "not-an-address"}, "not an IP address"),
    ("/incidents", {"since": "yesterday"}, "not an ISO 8601 time"),
    ("/incidents", {"state": "closed"}, "state: must be one of"),
    ("/", {"sid": "-1"}, "sid"),
    ("/", {"until": "2024-01-01T00:00:00", "since": "2024-02-01T00:00:00"}, "until"),
])
def test_bad_filter_values_are_shown_plainly_on_the_page(client: TestClient, path: str,
                                                         params: dict[str, str],
                                                         says: str) -> None:
    sign_in(client, "aiko")
    answer = client.get(path, params=params)
    assert answer.status_code == 422
    error = re.search(r'<p id="filter-error"[^>]*>([^<]*)</p>', answer.text)
    assert error is not None and says in error.group(1)
    assert 'id="filters"' in answer.text and 'data-paused="1"' in answer.text


@pytest.mark.usefixtures("two_tenants")
def test_incident_page_shows_alerts_notes_dispatches_and_guidance(client: TestClient) -> None:
    csrf = sign_in(client, "aiko")
    incident = client.get("/api/v1/incidents", params={"q": "beacon"}).json()["incidents"][0]
    ident, headers = incident["id"], {"X-CSRF-Token": csrf}
    assert client.post(f"/api/v1/incidents/{ident}/notes", json={"text": "called them"},
                       headers=headers).status_code == 201
    assert client.post(f"/api/v1/incidents/{ident}/dispatch", headers=headers, json={
        "tenant": TENANT, "technician": "Suzuki", "reason": "on-site check"}).status_code == 201
    page = client.get(f"/incidents/{ident}").text
    alerts = client.get(f"/api/v1/incidents/{ident}").json()["alerts"]
    assert all(f'href="/alerts/{a["id"]}"' in page for a in alerts) and len(alerts) == 5
    assert "called them" in page and "Suzuki" in page and "on-site check" in page
    for lang in LANGUAGES:
        advice = guidance_for(incident["category"], incident["gid"], incident["signature_id"], lang)
        assert advice.what in page and advice.action in page
    buttons = re.findall(r'<button type="button" data-state="([a-z_]+)"', page)
    assert buttons == ["acknowledged", "investigating", "escalated", "resolved_tp", "resolved_fp"]
    assert f'<meta name="csrf-token" content="{csrf}">' in page


@pytest.mark.usefixtures("two_tenants")
def test_incident_page_is_404_for_absent_ids_and_other_tenants(client: TestClient) -> None:
    sign_in(client, "aiko")
    other = client.get("/api/v1/incidents", params={"tenant": OTHER}).json()["incidents"][0]
    mine = client.get("/api/v1/incidents", params={"tenant": TENANT}).json()["incidents"][0]
    assert client.get("/incidents/999999").status_code == 404
    assert client.get(f"/incidents/{2**70}").status_code == 404
    sign_in(client, "tanaka")
    hidden = client.get(f"/incidents/{other['id']}")
    assert hidden.status_code == 404 and "other office" not in hidden.text
    own = client.get(f"/incidents/{mine['id']}", follow_redirects=False)
    assert own.headers["location"] == f"/my#incident-{mine['id']}"
    sign_in(client, "nobody")
    assert client.get(f"/incidents/{mine['id']}").status_code == 404


@pytest.mark.usefixtures("two_tenants")
def test_customer_view_belongs_to_one_tenant(client: TestClient) -> None:
    sign_in(client, "aiko")
    picker = client.get("/my").text
    assert f'<option value="{TENANT}">' in picker and f'<option value="{OTHER}">' in picker
    staff_view = client.get("/my", params={"tenant": OTHER})
    assert staff_view.status_code == 200 and "other office" in staff_view.text
    assert client.get("/my", params={"tenant": "no-such-office"}).status_code == 404
    sign_in(client, "tanaka")
    mine = client.get("/my")
    assert mine.status_code == 200 and '<html lang="ja">' in mine.text
    assert "ET TROJAN beacon" in mine.text and "other office" not in mine.text
    assert client.get("/my", params={"tenant": TENANT}).status_code == 200
    assert client.get("/my", params={"tenant": OTHER}).status_code == 404
    sign_in(client, "nobody")
    assert client.get("/my").status_code == 404


def test_admin_pages_list_users_and_the_audit_log(client: TestClient) -> None:
    csrf = sign_in(client, "root")
    created = client.post("/api/v1/users", headers={"X-CSRF-Token": csrf}, json={
        "username": "suzuki", "password": "a long enough password", "role": "customer",
        "tenant": TENANT})
    assert created.status_code == 201
    users = client.get("/admin/users").text
    assert all(f'data-user="{name}"' in users for name in ("root", "aiko", "tanaka", "suzuki"))
    audit = client.get("/admin/audit").text
    assert 'data-action="user.create"' in audit and "user:suzuki" in audit
    assert 'data-action="user.create"' in client.get("/admin/audit",
                                                     params={"tenant": TENANT}).text
    assert 'data-action' not in client.get("/admin/audit", params={"tenant": OTHER}).text
    assert client.get("/admin/audit", params={"before_id": "x"}).status_code == 422


def test_what_sensors_send_is_escaped_on_every_page(client: TestClient) -> None:
    script = "<script>alert(1)</script>"
    send(client, "pi-001", TENANT, [rule_alert(1, script, 2900110)])
    sign_in(client, "aiko")
    incident = client.get("/api/v1/incidents").json()["incidents"][0]["id"]
    for path in ("/", "/incidents", f"/incidents/{incident}", f"/my?tenant={TENANT}"):
        page = client.get(path).text
        assert script not in page and "&lt;script&gt;" in page, path


def test_pages_speak_the_users_language_and_use_no_cdn(client: TestClient) -> None:
    sign_in(client, "root")  # stored language: en
    page = client.get("/incidents").text
    assert '<html lang="en">' in page and ">Incidents</a>" in page
    for path in ("/", "/incidents", "/sensors", "/my", "/admin/users", "/admin/audit"):
        text = client.get(path).text
        assert "http://" not in text and "https://" not in text, path
    for name in ("console.js", "console.css", "filters.js", "incidents.js", "incident.js",
                 "admin.js", "feed.js"):
        assert client.get(f"/static/{name}").status_code == 200


def test_every_key_built_from_data_exists_in_both_catalogs() -> None:
    keys = {f"state.{s}" for s in STATES} | {f"my.state.{s}" for s in STATES}
    keys |= {f"sensor.state.{s}" for s in SORT_ORDER} | {f"my.sensor.{s}" for s in SORT_ORDER}
    keys |= {f"guidance.level.{level}" for level in LEVELS}
    keys |= {f"role.{r}" for r in ("admin", "analyst", "customer")}
    for lang in LANGUAGES:
        assert keys <= set(catalog(lang)), sorted(keys - set(catalog(lang)))
    assert catalog("ja")["my.sensor.online"] == "監視中"
    assert catalog("ja")["my.sensor.offline"] == "停止中: 監視装置の電源・ケーブルをご確認ください"


def test_jst_shows_every_kind_of_time_in_tokyo() -> None:
    assert jst("2024-04-30T17:13:05Z") == "2024-05-01 02:13:05"
    assert jst(datetime(2024, 4, 30, 17, 13, 5, tzinfo=UTC)) == "2024-05-01 02:13:05"
    assert jst(1714497185.0) == "2024-05-01 02:13:05"
    assert jst(None) == ""


def test_time_fields_show_jst_and_read_offsetless_times_as_the_api_does() -> None:
    assert local_jst("2024-05-01T02:13:00+09:00") == "2024-05-01T02:13"
    assert local_jst("2024-04-30T17:13:00") == "2024-05-01T02:13"  # no offset: UTC
    assert local_jst("1714497180") == "2024-05-01T02:13"
    assert local_jst("yesterday") == ""


def test_report_links_are_the_twelve_complete_months_before_now() -> None:
    links = report_links("田中 工業", datetime(2025, 1, 15, tzinfo=ZoneInfo("Asia/Tokyo")))
    assert [link["month"] for link in links][:2] == ["2024-12", "2024-11"]
    assert links[-1]["month"] == "2024-01" and len(links) == 12
    assert links[0]["pdf"] == "/api/v1/reports/%E7%94%B0%E4%B8%AD%20%E5%B7%A5%E6%A5%AD/2024-12.pdf"


def test_the_offices_device_is_the_private_address() -> None:
    assert internal_host("203.0.113.9", "192.168.1.23") == "192.168.1.23"
    assert internal_host("10.0.0.5", "192.168.1.23") == "10.0.0.5"
    assert internal_host("2001:db8::1", "fd00::5") == "fd00::5"
    assert internal_host("bogus", "203.0.113.9") == "bogus"


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """`client` signed in as an admin once, for every example of a property test."""
    sign_in(client, "root")
    return client


PAGE_PARAMS = ("tenant", "sensor", "min_severity", "category", "q", "src_ip", "dest_ip",
               "since", "until", "state", "sid", "assignee", "before", "before_id")


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/", "/incidents", "/admin/audit", "/my"]),
       params=st.dictionaries(st.sampled_from(PAGE_PARAMS),
                              st.text(max_size=300) | st.integers().map(str), max_size=4))
def test_pages_answer_odd_query_strings_without_a_server_error(
        admin_client: TestClient, path: str, params: dict[str, str]) -> None:
    # The pages are not in the OpenAPI document (their JSON twins are, and are fuzzed there).
    answer = admin_client.get(path, params=params)
    assert answer.status_code in (200, 404, 422), (path, params, answer.text[:300])
