"""Fixtures for the rule build tests: ET Open sources made at test time, signing keys.

`et_open_dir`: the ET Open ruleset in ../shared/data/et-open (skips when absent).
`et_open_tarball`: a tar.gz of it laid out like an ET Open release
(rules/suricata.rules, rules/classification.config, rules/reference.config),
built once per session in a temporary directory, for a file:// source.
`signing_keys`: an Ed25519 key pair written as PEM files (private, public).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from rules.keys import generate_key, save_private_key, save_public_key

ET_OPEN = (Path(__file__).parents[2] / ".." / "shared" / "data" / "et-open"
           / "suricata-7.0.7_2024-12-13")
ET_FILES = ("suricata.rules", "classification.config", "reference.config")


@pytest.fixture(scope="session")
def et_open_dir() -> Path:
    if not (ET_OPEN / "suricata.rules").is_file():
        pytest.skip(f"ET Open ruleset not found at {ET_OPEN.resolve()} (../shared/data)")
    return ET_OPEN


@pytest.fixture(scope="session")
def et_open_tarball(et_open_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("et-open") / "emerging.rules.tar.gz"
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        for name in ET_FILES:
            tar.add(et_open_dir / name, arcname=f"rules/{name}")
    return out


@pytest.fixture(scope="session")
def signing_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = generate_key()
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "signing.key", folder / "signing.pub"
    save_private_key(key, private)
    save_public_key(key.public_key(), public)
    return private, public
