"""Heartbeat offers (channel, overrides, effective version), downloads, promotion, overrides API."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from collector.fleet.testing import admin_headers
from collector.overrides import effective_version
from collector.rulesets.testing import Fleet
from uplink.schema import RuleOverride

BundleMaker = Callable[..., Path]
V1, V2 = "2026.11.22.1", "2026.11.29.1"


def test_no_offer_until_something_is_published(fleet: Fleet) -> None:
    assert fleet.beat(fleet.enroll("pi-001"))["ruleset"] is None


def test_stable_sensor_is_offered_the_stable_bundle(fleet: Fleet,
                                                    make_bundle: BundleMaker) -> None:
    bundle = make_bundle(V1)
    assert fleet.publish(bundle, "stable").status_code == 201
    offer = fleet.beat(fleet.enroll("pi-001"))["ruleset"]
    assert offer["version"] == V1 and offer["channel"] == "stable"
    assert offer["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert offer["size"] == bundle.stat().st_size
    assert offer["url"] == f"http://testserver/api/v1/rulesets/{V1}/bundle"
    assert offer["effective_version"] == V1 and offer["overrides"] == []
    assert offer["rollback"] is False


def test_canary_and_stable_sensors_get_their_channels(fleet: Fleet,
                                                      make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    fleet.publish(make_bundle(V2), "canary")
    canary, stable = fleet.enroll("pi-canary"), fleet.enroll("pi-stable")
    moved = fleet.admin("PUT", "/api/v1/sensors/pi-canary/channel", json={"channel": "canary"})
    assert moved.status_code == 200 and moved.json()["previous"] == "stable"
    assert fleet.beat(canary)["ruleset"]["version"] == V2
    assert fleet.beat(stable)["ruleset"]["version"] == V1
    assert fleet.status()["canary_sensors"] == ["pi-canary"]


def test_offer_layers_the_tenants_overrides(fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    mine, other = fleet.enroll("pi-001", "tanaka-kogyo"), fleet.enroll("pi-002", "sato-shoji")
    added = [{"kind": "disable", "sid": 2010935},
             {"kind": "suppress", "sid": 2019401, "track": "by_src", "ip": "192.168.1.23"},
             {"kind": "threshold", "sid": 2100498, "type": "limit", "track": "by_src",
              "count": 1, "seconds": 3600}]
    for body in added:
        answer = fleet.admin("POST", "/api/v1/tenants/tanaka-kogyo/overrides",
                             json={**body, "reason": "noisy"})
        assert answer.status_code == 201, answer.text
    offer = fleet.beat(mine)["ruleset"]
    wire = [RuleOverride.model_validate(o) for o in added]
    assert [RuleOverride.model_validate(o) for o in offer["overrides"]] == wire
    assert offer["effective_version"] == effective_version(V1, wire)
    assert offer["effective_version"].startswith(V1 + "+o")
    untouched = fleet.beat(other)["ruleset"]
    assert untouched["overrides"] == [] and untouched["effective_version"] == V1


def test_overrides_are_listed_and_retired_per_tenant(fleet: Fleet,
                                                     make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    box = fleet.enroll("pi-001", "tanaka-kogyo")
    fleet.enroll("pi-002", "sato-shoji")
    path = "/api/v1/tenants/tanaka-kogyo/overrides"
    made = fleet.admin("POST", path, json={"kind": "disable", "sid": 5}).json()
    assert fleet.admin("GET", path).json()["overrides"][0]["id"] == made["id"]
    wrong_tenant = fleet.admin("DELETE", f"/api/v1/tenants/sato-shoji/overrides/{made['id']}")
    assert wrong_tenant.status_code == 404
    assert fleet.admin("DELETE", f"{path}/{made['id']}").status_code == 200
    assert fleet.admin("DELETE", f"{path}/{made['id']}").status_code == 404
    assert fleet.admin("GET", path).json()["overrides"] == []
    kept = fleet.admin("GET", path, params={"retired": "true"}).json()["overrides"]
    assert kept[0]["retired_at"] is not None
    assert fleet.beat(box)["ruleset"]["effective_version"] == V1


@pytest.mark.parametrize(("body", "words"), [
    ({"kind": "threshold", "sid": 1, "type": "limit", "track": "by_src"}, "needs count"),
    ({"kind": "suppress", "sid": 1, "ip": "10.0.0.5"}, "both track and ip"),
    ({"kind": "suppress", "sid": 1, "track": "by_src", "ip": "10.0.0.999"}, "not an address"),
    ({"kind": "suppress", "sid": 1, "track": "by_rule", "ip": "10.0.0.0/24"}, "track must"),
    ({"kind": "disable", "sid": 1, "count": 3}, "takes no count"),
    ({"kind": "enable", "sid": 1}, "kind"),
])
def test_overrides_a_box_could_not_load_are_refused(fleet: Fleet, body: dict[str, object],
                                                    words: str) -> None:
    fleet.enroll("pi-001", "tanaka-kogyo")
    answer = fleet.admin("POST", "/api/v1/tenants/tanaka-kogyo/overrides", json=body)
    assert answer.status_code == 422 and words in answer.json()["error"], answer.text
    assert fleet.admin("GET", "/api/v1/tenants/tanaka-kogyo/overrides").json()["overrides"] == []


def test_overrides_for_an_unknown_tenant_are_refused(fleet: Fleet) -> None:
    answer = fleet.admin("POST", "/api/v1/tenants/tanaka-kogyou/overrides",
                         json={"kind": "disable", "sid": 1})
    assert answer.status_code == 404 and "tanaka-kogyou" in answer.json()["error"]


def test_conditional_get_answers_304_with_the_etag(fleet: Fleet,
                                                   make_bundle: BundleMaker) -> None:
    bundle = make_bundle(V1)
    fleet.publish(bundle, "stable")
    box = fleet.enroll("pi-001")
    offer = fleet.beat(box)["ruleset"]
    url, etag = offer["url"], f'"{offer["sha256"]}"'
    full = fleet.client.get(url, headers=box.headers)
    assert full.status_code == 200 and full.content == bundle.read_bytes()
    assert full.headers["etag"] == etag
    for tag in (etag, f"W/{etag}", f'"0000", {etag}'):
        again = fleet.client.get(url, headers={**box.headers, "If-None-Match": tag})
        assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    stale = fleet.client.get(url, headers={**box.headers, "If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.content == bundle.read_bytes()


def test_only_sensors_offered_a_version_may_download_it(fleet: Fleet,
                                                        make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    fleet.publish(make_bundle(V2), "canary")
    offered = fleet.enroll("pi-001", "tanaka-kogyo")
    stranger = fleet.enroll("pi-900", "sato-shoji")  # another tenant, never offered
    stable_box = fleet.enroll("pi-002", "tanaka-kogyo")
    url = fleet.beat(offered)["ruleset"]["url"]
    fleet.beat(stable_box)
    assert fleet.client.get(url, headers=stranger.headers).status_code == 403
    canary_url = url.replace(V1, V2)
    assert fleet.client.get(canary_url, headers=stable_box.headers).status_code == 403
    assert fleet.client.get(url.replace(V1, "9.9"), headers=offered.headers).status_code == 403
    assert fleet.client.get(url).status_code == 401
    assert fleet.client.get(url, headers=admin_headers()).status_code == 401
    fleet.admin("POST", "/api/v1/sensors/pi-001/revoke")
    assert fleet.client.get(url, headers=offered.headers).status_code == 401


def test_promotion_reaches_stable_sensors_on_their_next_heartbeat(
        fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    fleet.publish(make_bundle(V2), "canary")
    box = fleet.enroll("pi-001")
    first = fleet.beat(box)["ruleset"]
    assert first["version"] == V1
    fleet.run_offer(box, first)
    promoted = fleet.admin("POST", f"/api/v1/rulesets/{V2}/promote")
    assert promoted.status_code == 200 and promoted.json()["previous"] == V1
    offer = fleet.beat(box)["ruleset"]
    assert (offer["version"], offer["channel"], offer["rollback"]) == (V2, "stable", False)
    assert fleet.client.get(offer["url"], headers=box.headers).status_code == 200
    status = fleet.status()
    assert status["channels"]["stable"]["version"] == V2
    assert [h["action"] for h in status["channels"]["stable"]["history"]] == ["promote",
                                                                             "publish"]
    listed = {b["version"]: b for b in status["bundles"]}
    assert listed[V2]["channels"] == ["canary", "stable"]
    rollouts = {r["sensor_id"]: r for r in listed[V1]["rollouts"]}
    assert rollouts["pi-001"]["state"] == "running"


def test_promotion_refuses_unknown_and_older_versions(fleet: Fleet,
                                                      make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V2), "stable")
    fleet.publish(make_bundle("2026.12.01.1"), "canary")
    assert fleet.admin("POST", "/api/v1/rulesets/7.7/promote").status_code == 404
    assert fleet.admin("POST", f"/api/v1/rulesets/{V2}/promote").status_code == 409


def test_failed_and_refused_updates_are_recorded_with_their_reason(
        fleet: Fleet, make_bundle: BundleMaker) -> None:
    fleet.publish(make_bundle(V1), "stable")
    box = fleet.enroll("pi-001")
    offer = fleet.beat(box)["ruleset"]
    reason = "suricata -T failed: rule sid:1000001 parse error"
    fleet.beat(box, state="failed", offered=offer["effective_version"], reason=reason)
    rollout = fleet.status()["bundles"][0]["rollouts"][0]
    assert (rollout["sensor_id"], rollout["state"], rollout["reason"]) == ("pi-001", "failed",
                                                                           reason)
    fleet.beat(box, state="refused", reason="bundle refused: bad signature")
    rollout = fleet.status()["bundles"][0]["rollouts"][0]
    assert (rollout["state"], rollout["reason"]) == ("refused", "bundle refused: bad signature")
    fleet.run_offer(box, offer)
    rollout = fleet.status()["bundles"][0]["rollouts"][0]
    assert rollout["state"] == "running" and rollout["reason"] is None


def test_sensor_channel_needs_a_known_sensor_and_channel(fleet: Fleet) -> None:
    fleet.enroll("pi-001")
    assert fleet.admin("PUT", "/api/v1/sensors/pi-404/channel",
                       json={"channel": "canary"}).status_code == 404
    assert fleet.admin("PUT", "/api/v1/sensors/pi-001/channel",
                       json={"channel": "beta"}).status_code == 422
    assert fleet.client.put("/api/v1/sensors/pi-001/channel",
                            json={"channel": "canary"}).status_code == 401
