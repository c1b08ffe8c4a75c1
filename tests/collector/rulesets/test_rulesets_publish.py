"""POST /api/v1/rulesets: what the collector accepts, what it refuses and why, where it keeps it."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

from collector.fleet.testing import admin_headers
from collector.rulesets.models import RulesetBundle
from collector.rulesets.testing import Fleet
from rules.bundle import generate_key

BundleMaker = Callable[..., Path]


def _members(bundle: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(bundle, "r:gz") as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def _retar(members: list[tuple[str, bytes]], out: Path) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_accepts_a_signed_bundle_and_keeps_it_by_version(fleet: Fleet,
                                                         make_bundle: BundleMaker) -> None:
    bundle = make_bundle("2026.11.22.1")
    answer = fleet.publish(bundle)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert (body["version"], body["channel"], body["sha256"]) == ("2026.11.22.1", "canary", sha)
    assert (fleet.rules_dir / "2026.11.22.1.tar.gz").read_bytes() == bundle.read_bytes()
    assert not [p for p in os.listdir(fleet.rules_dir) if p.startswith(".")]  # no temp left
    status = fleet.status()
    assert status["channels"]["canary"]["version"] == "2026.11.22.1"
    assert status["channels"]["stable"]["version"] is None
    listed = status["bundles"][0]
    assert listed["published_by"] == "admin-token" and listed["rule_count"] == 1
    assert listed["channels"] == ["canary"] and listed["status"] == "active"


def test_channel_may_come_from_a_header(fleet: Fleet, make_bundle: BundleMaker) -> None:
    answer = fleet.client.post("/api/v1/rulesets", content=make_bundle("1.0").read_bytes(),
                               headers={**admin_headers(), "X-Yamori-Channel": "stable"})
    assert answer.status_code == 201 and answer.json()["channel"] == "stable"


def _refused(fleet: Fleet, data: bytes, status: int, words: str) -> None:
    answer = fleet.client.post("/api/v1/rulesets", content=data, headers=admin_headers())
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"], answer.json()
    with fleet.client.app.state.collector.database.session() as session:  # type: ignore[attr-defined]
        assert session.query(RulesetBundle).count() == 0
    assert not fleet.rules_dir.exists() or not any(fleet.rules_dir.iterdir())


def test_refuses_an_unsigned_bundle(fleet: Fleet, make_bundle: BundleMaker,
                                    tmp_path: Path) -> None:
    members = [m for m in _members(make_bundle("1.0")) if m[0] != "manifest.sig"]
    _refused(fleet, _retar(members, tmp_path / "u.tar.gz").read_bytes(), 422, "unsigned")


def test_refuses_a_bundle_signed_by_another_key(fleet: Fleet, make_bundle: BundleMaker) -> None:
    bundle = make_bundle("1.0", key=generate_key())
    _refused(fleet, bundle.read_bytes(), 422, "unknown key")


def test_refuses_a_tampered_bundle(fleet: Fleet, make_bundle: BundleMaker,
                                   tmp_path: Path) -> None:
    members = [(n, d.replace(b"23", b"24") if n.endswith(".rules") else d)
               for n, d in _members(make_bundle("1.0"))]
    _refused(fleet, _retar(members, tmp_path / "t.tar.gz").read_bytes(), 422, "tampered")


def test_refuses_garbage(fleet: Fleet) -> None:
    _refused(fleet, b"not a bundle at all", 422, "tar.gz")


def test_refuses_an_oversize_bundle(fleet_factory: Callable[..., Fleet],
                                    make_bundle: BundleMaker) -> None:
    fleet = fleet_factory(rules_max_bundle_bytes=1024)
    big = "".join(f'alert tcp any any -> any {p} (msg:"{os.urandom(8).hex()}"; sid:{p}; rev:1;)\n'
                  for p in range(1, 200))
    data = make_bundle("1.0", rules=big).read_bytes()
    assert len(data) > 1024
    _refused(fleet, data, 413, "exceeds")


def test_refuses_a_version_not_newer_than_the_channel(fleet: Fleet,
                                                      make_bundle: BundleMaker) -> None:
    assert fleet.publish(make_bundle("2026.11.22.2")).status_code == 201
    older = fleet.publish(make_bundle("2026.11.22.1"))
    assert older.status_code == 409 and "not newer" in older.json()["error"]
    again = fleet.publish(make_bundle("2026.11.22.2.0"))  # newer: accepted
    assert again.status_code == 201
    # Other channels judge against their own version.
    assert fleet.publish(make_bundle("2026.11.22.1.5"), "stable").status_code == 201


def test_refuses_to_publish_a_version_twice(fleet: Fleet, make_bundle: BundleMaker) -> None:
    bundle = make_bundle("3.0")
    assert fleet.publish(bundle).status_code == 201
    answer = fleet.publish(bundle, "stable")
    assert answer.status_code == 409 and "already published" in answer.json()["error"]


def test_refuses_unknown_channels_and_strangers(fleet: Fleet, make_bundle: BundleMaker) -> None:
    data = make_bundle("1.0").read_bytes()
    assert fleet.publish(make_bundle("1.1"), "beta").status_code == 422
    assert fleet.client.post("/api/v1/rulesets", content=data).status_code == 401
    wrong = fleet.client.post("/api/v1/rulesets", content=data,
                              headers=admin_headers("not-the-token"))
    assert wrong.status_code == 401
    sensor = fleet.enroll("pi-001")
    as_sensor = fleet.client.post("/api/v1/rulesets", content=data, headers=sensor.headers)
    assert as_sensor.status_code == 401


def test_publishing_needs_a_vendor_key(fleet_factory: Callable[..., Fleet],
                                       make_bundle: BundleMaker) -> None:
    fleet = fleet_factory(rules_vendor_key_file="")
    answer = fleet.publish(make_bundle("1.0"))
    assert answer.status_code == 403 and "rules_vendor_key_file" in answer.json()["error"]
