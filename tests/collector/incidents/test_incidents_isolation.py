"""Tenant isolation and sign-in on every endpoint: feed, stream, incidents, actions, filters.

A customer viewer of tanaka-kogyo must see tanaka-kogyo only, whatever the
URL says: another tenant's incident is 404 (like an absent one), actions are
403, filters naming another tenant find nothing.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.auth.deps import current_user
from collector.auth.principal import Principal
from collector.overrides import active_overrides
from collector.state import AppState
from collector.testing import enroll, sample_alert, sample_batch, serve_in_thread, temp_config
from uplink.schema import BATCHES_PATH

T0 = 1714496400.0
ACTIONS = [("state", {"state": "acknowledged"}), ("assign", {"assignee": "tanaka-san"}),
           ("notes", {"text": "見ました"}), ("suppress", {"scope": "rule"})]


@pytest.fixture
def two_tenants(console: Any) -> dict[str, int]:
    """One incident per tenant: {tenant: incident id}."""
    console.send("pi-001", [console.alert(1, at=T0), console.alert(2, at=T0 + 1)])
    console.send("pi-101", [console.alert(3, at=T0 + 2, sid=2001219,
                                          signature="ET SCAN suzuki only")])
    return {i["tenant"]: i["id"] for i in console.incidents()}


def test_customer_lists_only_their_tenants_incidents(console: Any,
                                                     two_tenants: dict[str, int]) -> None:
    console.as_customer("tanaka-kogyo")
    assert [i["tenant"] for i in console.incidents()] == ["tanaka-kogyo"]
    assert console.incidents(tenant="suzuki-shoten") == []
    assert console.incidents(q="suzuki only") == []
    assert console.incidents(sensor="pi-101") == []


def test_another_tenants_incident_is_404_even_by_editing_the_url(
        console: Any, two_tenants: dict[str, int]) -> None:
    console.as_customer("tanaka-kogyo")
    assert console.get(f"/api/v1/incidents/{two_tenants['tanaka-kogyo']}").status_code == 200
    theirs = console.get(f"/api/v1/incidents/{two_tenants['suzuki-shoten']}")
    absent = console.get("/api/v1/incidents/999")
    assert (theirs.status_code, absent.status_code) == (404, 404)
    assert theirs.json()["error"].replace(str(two_tenants["suzuki-shoten"]), "N") == \
        absent.json()["error"].replace("999", "N")


@pytest.mark.parametrize(("action", "body"), ACTIONS)
def test_customer_actions_are_403_on_any_incident(console: Any, two_tenants: dict[str, int],
                                                  action: str, body: dict[str, Any]) -> None:
    console.as_customer("tanaka-kogyo")
    for incident in two_tenants.values():
        assert console.act(incident, action, body).status_code == 403
    console.as_analyst()
    own = console.incident(two_tenants["tanaka-kogyo"])
    assert (own["incident"]["state"], own["incident"]["assignee"], own["notes"]) == (
        "new", None, [])
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        assert active_overrides(session, "tanaka-kogyo") == []


def test_analyst_sees_and_acts_on_every_tenant(console: Any,
                                               two_tenants: dict[str, int]) -> None:
    assert {i["tenant"] for i in console.incidents()} == set(two_tenants)
    answer = console.act(two_tenants["suzuki-shoten"], "state", {"state": "acknowledged"})
    assert answer.status_code == 200


def test_customer_feed_shows_only_their_tenant(console: Any,
                                               two_tenants: dict[str, int]) -> None:
    console.as_customer("suzuki-shoten")
    assert {a["tenant"] for a in console.feed()} == {"suzuki-shoten"}
    assert console.feed(tenant="tanaka-kogyo") == []
    assert console.feed(sensor="pi-001") == []
    assert console.feed(state="new", tenant="tanaka-kogyo") == []
    assert {a["tenant"] for a in console.feed(state="new")} == {"suzuki-shoten"}
    assert {a["tenant"] for a in console.feed(q="beacon")} == set()
    assert {a["tenant"] for a in console.feed(after_id=0)} == {"suzuki-shoten"}


def test_customer_without_a_tenant_sees_nothing(console: Any,
                                                two_tenants: dict[str, int]) -> None:
    console.as_customer(None)
    for path in ("/api/v1/alerts", "/api/v1/incidents",
                 f"/api/v1/incidents/{two_tenants['tanaka-kogyo']}"):
        assert console.get(path).status_code == 403


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/alerts"), ("GET", "/api/v1/alerts/stream"), ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/1"), ("POST", "/api/v1/incidents/1/state"),
    ("GET", "/api/v1/filters"), ("POST", "/api/v1/filters"), ("DELETE", "/api/v1/filters/1"),
])
def test_every_endpoint_needs_sign_in(console: Any, method: str, path: str) -> None:
    console.sign_in(None)
    assert console.client.request(method, path, json={}).status_code == 401


def test_saved_filters_belong_to_their_user(console: Any) -> None:
    console.as_customer("tanaka-kogyo", name="tanaka-san")
    mine = console.client.post("/api/v1/filters", json={"name": "重大", "query": "min_severity=1"})
    assert mine.status_code == 201
    console.as_customer("suzuki-shoten", name="suzuki-san")
    assert console.get("/api/v1/filters").json() == []
    assert console.client.delete(f"/api/v1/filters/{mine.json()['id']}").status_code == 404
    console.as_analyst()
    assert console.get("/api/v1/filters").json() == []
    console.as_customer("tanaka-kogyo", name="tanaka-san")
    assert [f["name"] for f in console.get("/api/v1/filters").json()] == ["重大"]


def read_alert_events(response: httpx.Response, found: list[dict[str, Any]],
                      done: threading.Event) -> None:
    for line in response.iter_lines():
        if line.startswith("data: "):
            found.append(json.loads(line[6:]))
        if done.is_set():
            return


def test_customer_stream_carries_only_their_tenant(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path)) as live:
        tanaka, suzuki = enroll(live.app, "pi-001", "tanaka-kogyo"), enroll(
            live.app, "pi-101", "suzuki-shoten")
        live.app.dependency_overrides[current_user] = lambda: Principal(
            "suzuki-san", "customer", tenant="suzuki-shoten")
        found: list[dict[str, Any]] = []
        done = threading.Event()
        with httpx.stream("GET", live.url + "/api/v1/alerts/stream", timeout=10) as response:
            assert response.status_code == 200
            reader = threading.Thread(target=read_alert_events, args=(response, found, done),
                                      daemon=True)
            reader.start()
            time.sleep(0.3)  # the stream has taken its starting cursor
            for sensor, token in (("pi-001", tanaka), ("pi-101", suzuki), ("pi-001", tanaka)):
                httpx.post(live.url + BATCHES_PATH, timeout=5,
                           json=sample_batch([sample_alert(1)], sensor_id=sensor),
                           headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            deadline = time.monotonic() + 5
            while not found and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # anything else would have arrived by now
            done.set()
    assert [(a["tenant"], a["sensor_id"]) for a in found] == [("suzuki-shoten", "pi-101")]
