"""Fixtures for the collector's ruleset tests: a vendor key, signed bundles, collectors.

`make_bundle(version, rules=None, key=None)` packs a signed bundle;
`fleet` is a collector.rulesets.testing.Fleet whose vendor key is
`vendor_key`'s public half; `fleet_factory(**config)` makes more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from collector.fleet.testing import fleet_config
from collector.main import create_app
from collector.rulesets.testing import Fleet, signed_bundle
from rules.bundle import generate_key, save_public_key


@pytest.fixture(scope="session")
def vendor_key() -> Ed25519PrivateKey:
    return generate_key()


@pytest.fixture
def vendor_public(tmp_path: Path, vendor_key: Ed25519PrivateKey) -> Path:
    path = tmp_path / "vendor.pub"
    save_public_key(vendor_key.public_key(), path)
    return path


@pytest.fixture
def make_bundle(tmp_path: Path, vendor_key: Ed25519PrivateKey) -> Callable[..., Path]:
    def make(version: str, rules: str | None = None,
             key: Ed25519PrivateKey | None = None) -> Path:
        return signed_bundle(tmp_path / "bundles", version, key or vendor_key, rules)
    return make


@pytest.fixture
def fleet_factory(tmp_path: Path, vendor_public: Path) -> Iterator[Callable[..., Fleet]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> Fleet:
        base = tmp_path / f"collector-{len(clients)}"
        base.mkdir()
        settings = {"rules_dir": str(base / "rulesets"),
                    "rules_vendor_key_file": str(vendor_public),
                    "offline_check_seconds": 3600.0, **overrides}
        client = TestClient(create_app(fleet_config(base, **settings)))
        client.__enter__()
        clients.append(client)
        return Fleet(client, base / "rulesets")

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def fleet(fleet_factory: Callable[..., Fleet]) -> Fleet:
    return fleet_factory()
