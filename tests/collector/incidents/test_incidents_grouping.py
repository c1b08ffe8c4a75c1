"""Grouping at ingest: same tenant, (gid, sid), source and destination within the window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from collector.incidents.grouping import Slot, plan_incidents
from collector.ingest.store import store_batch
from collector.models import Sensor, Signature
from collector.state import AppState
from collector.testing import (
    ADMIN_TOKEN,
    admin_headers,
    enroll,
    sample_alert,
    sample_batch,
    serve_in_thread,
    temp_config,
)
from uplink.schema import BATCHES_PATH, AlertBatch

T0 = 1714496400.0  # 2024-05-01T02:00:00+09:00
WINDOW = 3600.0  # the config's default incident_window_seconds


def test_storm_of_10000_identical_alerts_in_batches_with_a_retry_is_one_incident(
        console: Any) -> None:
    storm = [console.alert(i, at=T0 + i * 0.05) for i in range(10_000)]
    batches = [storm[i:i + 2500] for i in range(0, 10_000, 2500)]
    first = console.send("pi-001", batches[0], batch_id="storm-1")
    retried = console.send("pi-001", batches[0], batch_id="storm-1")  # the same batch again
    for n, batch in enumerate(batches[1:], start=2):
        console.send("pi-001", batch, batch_id=f"storm-{n}")
    resent = console.send("pi-001", batches[2][:100], batch_id="resent")  # new id, old alerts
    assert retried == first
    assert (resent["stored"], resent["duplicates"]) == (0, 100)
    [incident] = console.incidents()
    assert incident["count"] == 10_000
    assert incident["sensors"] == ["pi-001"]
    detail = console.incident(incident["id"], limit=1000)
    assert len(detail["alerts"]) == 1000 and detail["next_before_id"] is not None
    assert {a["incident_id"] for a in console.feed(limit=1000)} == {incident["id"]}


def test_alert_on_the_window_edge_joins_and_one_past_it_opens_a_new_incident(
        console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0)])
    console.send("pi-001", [console.alert(2, at=T0 + WINDOW)])  # last_seen + window: joins
    console.send("pi-001", [console.alert(3, at=T0 + 2 * WINDOW + 0.001)])  # just past it
    newest, oldest = console.incidents()
    assert (oldest["count"], newest["count"]) == (2, 1)
    assert oldest["last_seen"] == "2024-04-30T18:00:00Z"
    assert newest["first_seen"] == "2024-04-30T19:00:00.001000Z"


def test_late_alert_within_the_window_joins_before_first_seen(console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0), console.alert(2, at=T0 + 60)])
    console.send("pi-001", [console.alert(3, at=T0 - 600)])  # delivered late
    [incident] = console.incidents()
    assert incident["count"] == 3
    assert incident["first_seen"] == "2024-04-30T16:50:00Z"


def test_window_comes_from_the_store_batch_argument(console: Any) -> None:
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        sensor = session.get(Sensor, "pi-001")
        assert sensor is not None
        for n, at in enumerate((T0, T0 + 60, T0 + 121)):
            batch = AlertBatch.model_validate(
                sample_batch([console.alert(n, at=at)], sensor_id="pi-001"))
            store_batch(session, sensor, batch, state.metrics, incident_window=60.0)
    assert [i["count"] for i in console.incidents()] == [1, 2]


def test_each_part_of_the_key_separates_incidents(console: Any) -> None:
    console.send("pi-001", [
        console.alert(1, at=T0), console.alert(2, at=T0 + 1, src="192.168.1.99"),
        console.alert(3, at=T0 + 2, dest="198.51.100.7"), console.alert(4, at=T0 + 3, sid=7),
        console.alert(5, at=T0 + 4, gid=3)])
    console.send("pi-101", [console.alert(6, at=T0 + 5)])  # another tenant
    assert sorted(i["count"] for i in console.incidents()) == [1] * 6


def test_sensors_of_one_tenant_share_an_incident(console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0)])
    console.send("pi-002", [console.alert(2, at=T0 + 10)])
    [incident] = console.incidents()
    assert incident["sensors"] == ["pi-001", "pi-002"]
    assert incident["tenant"] == "tanaka-kogyo"


def test_incident_keeps_count_bounds_most_severe_severity_and_newest_message(
        console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0 + 10, severity=3),
                            console.alert(2, at=T0, severity=1, signature="old words")])
    console.send("pi-001", [console.alert(3, at=T0 + 20, severity=2, rev=4,
                                          signature="ET POLICY Suspicious beacon v4")])
    [incident] = console.incidents()
    assert incident["count"] == 3 and incident["severity"] == 1
    assert (incident["first_seen"], incident["last_seen"]) == (
        "2024-04-30T17:00:00Z", "2024-04-30T17:00:20Z")
    assert incident["signature"] == "ET POLICY Suspicious beacon v4"


def test_alert_after_the_incident_was_resolved_opens_a_new_one(console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0)])
    [first] = console.incidents()
    assert console.act(first["id"], "state", {"state": "resolved_tp"}).status_code == 200
    console.send("pi-001", [console.alert(2, at=T0 + 30)])
    newest, resolved = console.incidents()
    assert resolved["id"] == first["id"] and resolved["count"] == 1
    assert (newest["count"], newest["state"]) == (1, "new")


def test_open_incident_in_any_unresolved_state_still_takes_alerts(console: Any) -> None:
    console.send("pi-001", [console.alert(1, at=T0)])
    [incident] = console.incidents()
    console.act(incident["id"], "state", {"state": "escalated"})
    console.send("pi-001", [console.alert(2, at=T0 + 30)])
    [incident] = console.incidents()
    assert (incident["count"], incident["state"]) == (2, "escalated")


def test_signatures_are_upserted_at_ingest(console: Any) -> None:
    console.send("pi-001", [console.alert(1, sid=10, rev=1, signature="ET A first text"),
                            console.alert(2, sid=11, category="Misc activity")])
    console.send("pi-001", [console.alert(3, sid=10, rev=1, signature="ET A reworded")])
    state: AppState = console.app.state.collector
    with state.database.session() as session:
        rows = session.execute(select(Signature.sid, Signature.rev, Signature.text,
                                      Signature.category).order_by(Signature.sid)).all()
    assert [tuple(r) for r in rows] == [
        (10, 1, "ET A reworded", "A Network Trojan was detected"),
        (11, 3, "ET POLICY Suspicious beacon", "Misc activity")]


def test_plan_incidents_extends_open_slots_and_carries_them_over() -> None:
    def row(at: float, src: str = "10.0.0.1") -> dict[str, Any]:
        return {"tenant": "t", "gid": 1, "signature_id": 5, "src_ip": src,
                "dest_ip": "10.0.0.2", "ts_epoch": at}

    open_slots: dict[Any, list[Slot]] = {}
    first = plan_incidents([row(100.0), row(50.0), row(130.0, "10.0.0.9")], open_slots, 60.0)
    assert sorted((s.first_seen, s.last_seen, len(s.rows)) for s in first) == [
        (50.0, 100.0, 2), (130.0, 130.0, 1)]
    later = plan_incidents([row(160.0), row(221.0)], open_slots, 60.0)
    assert sorted((s.first_seen, s.last_seen, len(s.rows)) for s in later) == [
        (50.0, 160.0, 3), (221.0, 221.0, 1)]


def test_concurrent_twin_batches_count_each_alert_once(tmp_path: Path) -> None:
    with serve_in_thread(temp_config(tmp_path, admin_token=ADMIN_TOKEN)) as live:
        token = enroll(live.app)
        alerts = [sample_alert(i) for i in range(200)]
        batches = [sample_batch(alerts) for _ in range(6)]  # same alerts, distinct batch_ids

        def send(batch: dict[str, Any]) -> None:
            httpx.post(live.url + BATCHES_PATH, json=batch, timeout=30,
                       headers={"Authorization": f"Bearer {token}"}).raise_for_status()

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(send, batches))
        incidents = httpx.get(live.url + "/api/v1/incidents", headers=admin_headers(),
                              timeout=10).json()["incidents"]
    assert [i["count"] for i in incidents] == [200]
