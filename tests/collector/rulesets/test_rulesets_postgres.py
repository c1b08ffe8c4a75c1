"""The ruleset cycle on PostgreSQL (127.0.0.1:5432): publish, offer, download, hold, promote."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from collector.fleet import events
from collector.fleet.testing import admin_headers
from collector.rulesets.testing import Fleet

V1, V2, V3 = "2026.11.22.1", "2026.11.29.1", "2026.12.06.1"


def test_ruleset_cycle_on_postgresql(fleet_factory: Callable[..., Fleet],
                                     make_bundle: Callable[..., Path], pg_url: str) -> None:
    fleet = fleet_factory(database_url=pg_url, canary_min_seconds=0.2)
    assert fleet.publish(make_bundle(V1), "stable").status_code == 201
    canary, stable = fleet.enroll("pg-c1"), fleet.enroll("pg-s1", "other")
    fleet.admin("PUT", "/api/v1/sensors/pg-c1/channel", json={"channel": "canary"})
    for box in (canary, stable):
        offer = fleet.beat(box, 1000, 1, 0.01)["ruleset"]
        fleet.run_offer(box, offer, 1000, 1, 0.01)
        fleet.run_offer(box, offer, 1000, 1, 0.01)
        etag = f'"{offer["sha256"]}"'
        got = fleet.client.get(offer["url"], headers={**box.headers, "If-None-Match": etag})
        assert got.status_code == 304
    assert fleet.publish(make_bundle(V1), "canary").status_code == 409  # already published
    assert fleet.publish(make_bundle(V2), "canary").status_code == 201
    offer = fleet.beat(canary, 1000, 1, 0.01)["ruleset"]
    fleet.run_offer(canary, offer, 1000, 1, 0.01)
    time.sleep(0.25)
    back = fleet.beat(canary, 1000, 1000, 0.01)["ruleset"]
    assert (back["version"], back["rollback"]) == (V1, True)
    sids = [a["alert"]["signature_id"] for a in fleet.client.get(
        "/api/v1/alerts", headers=admin_headers()).json()["alerts"]]
    assert sids == [events.RULESET_HELD.sid]
    assert fleet.publish(make_bundle(V3), "canary").status_code == 201
    assert fleet.admin("POST", f"/api/v1/rulesets/{V3}/promote").status_code == 200
    assert fleet.beat(stable, 1000, 1, 0.01)["ruleset"]["version"] == V3
    listed = {b["version"]: b["status"] for b in fleet.status()["bundles"]}
    assert listed == {V1: "active", V2: "held", V3: "active"}
