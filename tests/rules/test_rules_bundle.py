"""rules.bundle: pack/verify round trip and every reason a bundle is refused.

Hostile bundles are built by hand with `_tar` so each test breaks exactly one
thing; the rest of the bundle is validly signed, so the refusal under test is
the only one that can fire.
"""

from __future__ import annotations

import io
import json
import stat
import tarfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.bundle import (
    BundleError,
    extract,
    generate_key,
    is_newer,
    key_id,
    load_private_key,
    load_public_key,
    pack,
    parse_version,
    save_private_key,
    save_public_key,
    verify,
)
from yamori.errors import YamoriError

RULES = (
    b"# a comment\n"
    b'alert tcp any any -> any 23 (msg:"telnet"; sid:1000001; rev:1;)\n'
    b"\n"
    b'# alert tcp any any -> any 21 (msg:"disabled"; sid:1000002; rev:1;)\n'
    b'alert udp any any -> any 53 (msg:"dns"; sid:1000003; rev:1;)\n'
)
CLASSIFICATION = b"config classification: trojan-activity,A Network Trojan was Detected,1\n"
KEY = generate_key()
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    d.mkdir()
    (d / "local.rules").write_bytes(RULES)
    (d / "classification.config").write_bytes(CLASSIFICATION)
    (d / "notes.txt").write_text("not part of a ruleset")
    return d


@pytest.fixture
def bundle(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / "bundle.tar.gz"
    pack(src, out, "2026.11.22.1", KEY, now=NOW)
    return out


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def _tar(path: Path, members: dict[str, bytes], extra: Sequence[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def _refusal(bundle: Path, **kwargs: object) -> str:
    with pytest.raises(BundleError) as info:
        verify(bundle, [KEY.public_key()], **kwargs)  # type: ignore[arg-type]
    return info.value.reason


# --- round trip -------------------------------------------------------------


def test_round_trip_verifies_and_extracts(bundle: Path, tmp_path: Path) -> None:
    verified = verify(bundle, [KEY.public_key()], current_version="2026.11.21.9")
    dest = extract(verified, tmp_path / "live")
    assert (dest / "local.rules").read_bytes() == RULES
    assert (dest / "classification.config").read_bytes() == CLASSIFICATION
    assert json.loads((dest / "manifest.json").read_bytes())["version"] == "2026.11.22.1"


def test_manifest_describes_the_files(src: Path, tmp_path: Path) -> None:
    m = pack(src, tmp_path / "b.tar.gz", "1.2", KEY, now=NOW)
    assert sorted(m.files) == ["classification.config", "local.rules"]  # notes.txt left out
    assert m.files["local.rules"].size == len(RULES)
    assert m.rule_counts == {"local.rules": 2}  # commented-out rules are disabled
    assert m.signer == key_id(KEY.public_key()) and len(m.signer) == 16
    assert m.created_at == "2026-11-22T10:00:00Z"


def test_bundle_members_are_manifest_then_signature_then_files(bundle: Path) -> None:
    names = list(_members(bundle))
    assert names == ["manifest.json", "manifest.sig", "classification.config", "local.rules"]


def test_signature_is_over_canonical_manifest_bytes(bundle: Path) -> None:
    members = _members(bundle)
    body = members["manifest.json"]
    assert b" " not in body.replace(b"2026-11-22T10:00:00Z", b"")
    assert body == json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    KEY.public_key().verify(members["manifest.sig"], body)


def test_pack_without_rules_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="no .rules"):
        pack(tmp_path, tmp_path / "b.tar.gz", "1", KEY)


def test_extract_replaces_an_existing_directory(bundle: Path, tmp_path: Path) -> None:
    dest = tmp_path / "live"
    dest.mkdir()
    (dest / "stale.rules").write_text("old")
    extract(verify(bundle, [KEY.public_key()]), dest)
    assert sorted(p.name for p in dest.iterdir()) == [
        "classification.config",
        "local.rules",
        "manifest.json",
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bundle_error_is_a_yamori_error() -> None:
    assert issubclass(BundleError, YamoriError)


# --- refusals ---------------------------------------------------------------


def test_refuses_bundle_over_size_limit(bundle: Path) -> None:
    assert "larger than" in _refusal(bundle, max_bytes=bundle.stat().st_size - 1)


def test_refuses_bundle_that_unpacks_over_size_limit(tmp_path: Path) -> None:
    # 1 MiB of zeros compresses to about 1 KiB: small on disk, big unpacked.
    bomb = _tar(tmp_path / "bomb.tar.gz", {"big.rules": bytes(1 << 20)})
    assert "unpacks to more than" in _refusal(bomb, max_bytes=64 * 1024)


def test_refuses_unsigned_bundle(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    del members["manifest.sig"]
    assert "unsigned" in _refusal(_tar(tmp_path / "u.tar.gz", members))


def test_refuses_bundle_without_manifest(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    del members["manifest.json"]
    assert "no manifest" in _refusal(_tar(tmp_path / "m.tar.gz", members))


def test_refuses_bundle_signed_by_unknown_key(src: Path, tmp_path: Path) -> None:
    stranger = generate_key()
    pack(src, tmp_path / "s.tar.gz", "1", stranger)
    reason = _refusal(tmp_path / "s.tar.gz")
    assert reason.startswith("signed by unknown key") and key_id(stranger.public_key()) in reason


def test_refuses_bad_signature(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    members["manifest.sig"] = generate_key().sign(members["manifest.json"])
    assert "bad signature" in _refusal(_tar(tmp_path / "b.tar.gz", members))


def test_refuses_edited_manifest(bundle: Path, tmp_path: Path) -> None:
    # Bumping the version without re-signing is exactly what a replay attacker tries.
    members = _members(bundle)
    members["manifest.json"] = members["manifest.json"].replace(b"2026.11.22.1", b"2099.1")
    assert "bad signature" in _refusal(_tar(tmp_path / "e.tar.gz", members))


def test_refuses_tampered_file(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    members["local.rules"] = RULES.replace(b"any 23", b"any 24")  # same size, new hash
    assert "tampered" in _refusal(_tar(tmp_path / "t.tar.gz", members))


def test_refuses_missing_file(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    del members["classification.config"]
    assert "missing: classification.config" in _refusal(_tar(tmp_path / "m.tar.gz", members))


def test_refuses_extra_file(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle) | {"evil.rules": b"pass ip any any -> any any (sid:1;)\n"}
    assert "not in manifest: evil.rules" in _refusal(_tar(tmp_path / "x.tar.gz", members))


def test_refuses_path_traversal_member(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle) | {"../evil.rules": b"x"}
    assert "only flat names" in _refusal(_tar(tmp_path / "p.tar.gz", members))


def test_refuses_absolute_member(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle) | {"/etc/cron.d/evil": b"x"}
    assert "absolute path" in _refusal(_tar(tmp_path / "a.tar.gz", members))


def test_refuses_symlink_member(bundle: Path, tmp_path: Path) -> None:
    link = tarfile.TarInfo("link.rules")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    path = _tar(tmp_path / "l.tar.gz", _members(bundle), [link])
    assert "link in bundle" in _refusal(path)


def test_refuses_hardlink_member(bundle: Path, tmp_path: Path) -> None:
    link = tarfile.TarInfo("hard.rules")
    link.type, link.linkname = tarfile.LNKTYPE, "local.rules"
    path = _tar(tmp_path / "h.tar.gz", _members(bundle), [link])
    assert "link in bundle" in _refusal(path)


def test_refuses_non_regular_member(bundle: Path, tmp_path: Path) -> None:
    fifo = tarfile.TarInfo("fifo.rules")
    fifo.type = tarfile.FIFOTYPE
    path = _tar(tmp_path / "f.tar.gz", _members(bundle), [fifo])
    assert "non-regular member" in _refusal(path)


def test_refuses_unsafe_name_in_signed_manifest(bundle: Path, tmp_path: Path) -> None:
    # A validly signed manifest still may not name a file outside the directory.
    members = _members(bundle)
    files = json.loads(members["manifest.json"])["files"]
    files["..hidden"] = files["local.rules"]
    body = json.dumps(json.loads(members["manifest.json"]) | {"files": files}).encode()
    members |= {"manifest.json": body, "manifest.sig": KEY.sign(body)}
    assert "unsafe file name" in _refusal(_tar(tmp_path / "n.tar.gz", members))


def test_refuses_non_tar_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b not really gzip")
    assert "not a readable tar.gz" in _refusal(junk)


def test_refuses_downgrade(bundle: Path) -> None:
    assert "downgrade" in _refusal(bundle, current_version="2026.11.23")


def test_refuses_replay_of_running_version(bundle: Path) -> None:
    assert "not newer" in _refusal(bundle, current_version="2026.11.22.1")


def test_accepts_longer_version_after_its_prefix(bundle: Path) -> None:
    # 2026.11.22.1 follows 2026.11.22: tuples, not strings, are compared.
    assert verify(bundle, [KEY.public_key()], current_version="2026.11.22")


# --- keys -------------------------------------------------------------------


def test_private_key_saved_owner_only_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_text("old, world-readable")
    path.chmod(0o644)
    save_private_key(KEY, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_id(load_private_key(path).public_key()) == key_id(KEY.public_key())


def test_public_key_round_trips(tmp_path: Path) -> None:
    save_public_key(KEY.public_key(), tmp_path / "vendor.pub")
    assert key_id(load_public_key(tmp_path / "vendor.pub")) == key_id(KEY.public_key())


def test_load_public_key_refuses_garbage(tmp_path: Path) -> None:
    (tmp_path / "bad.pub").write_text("not a key")
    with pytest.raises(BundleError, match="cannot load public key"):
        load_public_key(tmp_path / "bad.pub")


# --- versions ---------------------------------------------------------------

_versions = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=6)


@given(_versions, _versions)
def test_version_order_is_integer_tuple_order(a: list[int], b: list[int]) -> None:
    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    assert is_newer(va, vb) == (tuple(a) > tuple(b))


@given(_versions)
def test_version_is_never_newer_than_itself(a: list[int]) -> None:
    v = ".".join(map(str, a))
    assert parse_version(v) == tuple(a) and not is_newer(v, v)


@pytest.mark.parametrize("bad", ["", "1.", ".1", "1..2", "v1", "1.2a", "1 .2", "-1"])
def test_malformed_versions_are_refused(bad: str) -> None:
    with pytest.raises(BundleError, match="bad bundle version"):
        parse_version(bad)
