"""Signed rule bundles: pack a ruleset directory, sign it, verify it, extract it.

A bundle is a tar.gz holding, flat and in this order:

    manifest.json   canonical JSON (sorted keys, no spaces) of `Manifest`
    manifest.sig    raw 64-byte Ed25519 signature over the manifest.json bytes
    <files>         *.rules, classification.config, threshold.config, reference.config

The manifest names every file with its sha256 and size, so one signature covers
the whole bundle. `verify` trusts nothing in the archive until the signature
checks out against a key the caller supplies, and refuses (`BundleError`) a
bundle that is too large, unsigned, signed by an unknown key, badly signed,
tampered with, holds unsafe members (paths, links, devices), or is not newer
than the ruleset already running.

What this module does not do: build the ruleset (suricata-update, `suricata -T`),
publish bundles, download them, or swap a running engine onto them. Those belong
to `yamori rules build/publish` and the agent's update loop, which call in here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

# Re-exported so that callers get the whole bundle API from one module.
from rules.keys import generate_key as generate_key
from rules.keys import key_id as key_id
from rules.keys import load_private_key as load_private_key
from rules.keys import load_public_key as load_public_key
from rules.keys import save_private_key as save_private_key
from rules.keys import save_public_key as save_public_key
from yamori.errors import BundleError as BundleError

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# The only config files a Suricata ruleset needs beside its .rules files.
CONFIG_FILES = frozenset({"classification.config", "threshold.config", "reference.config"})

# Flat, boring names only: no separators, no leading dot (so no "." or ".."),
# nothing a shell or a tar extractor could read as a path.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*")


# --- versions ---------------------------------------------------------------


def parse_version(text: str) -> tuple[int, ...]:
    """"2026.11.22.1" -> (2026, 11, 22, 1); anything else is a BundleError."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise BundleError(f"bad bundle version {text!r}: want dot-separated integers")
    return tuple(int(part) for part in text.split("."))


def is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` sorts strictly after `current` as integer tuples."""
    return parse_version(candidate) > parse_version(current)


# --- manifest ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One bundled file as the manifest describes it."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a bundle claims to hold; trustworthy only once its signature verified."""

    version: str
    created_at: str  # ISO 8601 UTC, e.g. "2026-11-22T10:00:00Z"
    signer: str  # key_id() of the signing key
    files: Mapping[str, FileEntry]
    rule_counts: Mapping[str, int]  # per .rules file: enabled (non-comment) rule lines
    format: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {
            "format": self.format,
            "version": self.version,
            "created_at": self.created_at,
            "signer": self.signer,
            "files": {n: {"sha256": e.sha256, "size": e.size} for n, e in self.files.items()},
            "rule_counts": dict(self.rule_counts),
        }

    def canonical_bytes(self) -> bytes:
        """The exact bytes that are signed: sorted keys, no whitespace, UTF-8."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Any) -> Manifest:
        """Validate and build; every shape problem is a BundleError."""
        try:
            return _manifest_from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BundleError(f"malformed manifest: {exc!r}") from exc


def _manifest_from_dict(data: dict[str, Any]) -> Manifest:
    if data["format"] != FORMAT_VERSION:
        raise BundleError(f"unsupported bundle format {data['format']!r}")
    files: dict[str, FileEntry] = {}
    for name, entry in data["files"].items():
        _check_name(name)
        sha, size = entry["sha256"], entry["size"]
        if not (isinstance(sha, str) and re.fullmatch(r"[0-9a-f]{64}", sha)):
            raise BundleError(f"malformed manifest: bad sha256 for {name}")
        if not isinstance(size, int) or size < 0:
            raise BundleError(f"malformed manifest: bad size for {name}")
        files[name] = FileEntry(sha, size)
    counts = {str(n): int(c) for n, c in data["rule_counts"].items()}
    if not counts.keys() <= files.keys():
        raise BundleError("malformed manifest: rule_counts names a file not in the bundle")
    parse_version(data["version"])
    return Manifest(
        version=data["version"],
        created_at=str(data["created_at"]),
        signer=str(data["signer"]),
        files=files,
        rule_counts=counts,
        format=FORMAT_VERSION,
    )


def count_rules(text: str) -> int:
    """Enabled rules: non-blank lines not starting with '#' (disabled rules are comments)."""
    stripped = (line.strip() for line in text.splitlines())
    return sum(1 for line in stripped if line and not line.startswith("#"))


# --- pack -------------------------------------------------------------------


def bundle_files(src_dir: Path) -> list[Path]:
    """The files of `src_dir` (not its subdirectories) that go into a bundle, sorted."""
    found = [
        p
        for p in src_dir.iterdir()
        if p.is_file() and not p.is_symlink() and (p.suffix == ".rules" or p.name in CONFIG_FILES)
    ]
    return sorted(found, key=lambda p: p.name)


def pack(
    src_dir: Path,
    out: Path,
    version: str,
    private_key: Ed25519PrivateKey,
    *,
    now: datetime | None = None,
) -> Manifest:
    """Bundle the ruleset in `src_dir` into the signed tar.gz `out`; return its manifest.

    `out` appears complete or not at all (written beside it, then renamed).
    """
    parse_version(version)
    contents = {p.name: p.read_bytes() for p in bundle_files(src_dir)}
    if not any(name.endswith(".rules") for name in contents):
        raise BundleError(f"no .rules files in {src_dir}")
    for name in contents:
        _check_name(name)
    manifest = _make_manifest(contents, version, private_key, now or datetime.now(UTC))
    body = manifest.canonical_bytes()
    members = [(MANIFEST_NAME, body), (SIGNATURE_NAME, private_key.sign(body))]
    members += sorted(contents.items())
    mtime = int(datetime.fromisoformat(manifest.created_at).timestamp())
    write_atomically(out, _tar_gz(members, mtime))
    return manifest


def _make_manifest(
    contents: Mapping[str, bytes], version: str, key: Ed25519PrivateKey, now: datetime
) -> Manifest:
    return Manifest(
        version=version,
        created_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        signer=key_id(key.public_key()),
        files={n: FileEntry(hashlib.sha256(b).hexdigest(), len(b)) for n, b in contents.items()},
        rule_counts={
            n: count_rules(b.decode("utf-8", "replace"))
            for n, b in contents.items()
            if n.endswith(".rules")
        },
    )


def _tar_gz(members: Iterable[tuple[str, bytes]], mtime: int) -> bytes:
    # Fixed owner, mode and mtime: the same ruleset packs to the same members.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_atomically(out: Path, data: bytes) -> None:
    """`out` holds `data` completely (fsynced) or keeps what it held."""
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- verify -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    """A bundle whose signature, hashes and version all checked out; files held in memory."""

    manifest: Manifest
    files: Mapping[str, bytes] = field(repr=False)


def verify(
    bundle: Path,
    trusted_keys: Sequence[Ed25519PublicKey],
    *,
    current_version: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> VerifiedBundle:
    """Check `bundle` end to end, or raise BundleError naming the first problem found.

    `max_bytes` caps both the archive on disk and its unpacked contents (a gzip
    bomb is refused too). `current_version` is the ruleset running now; a bundle
    not strictly newer is a downgrade or a replay and is refused.
    """
    members = _read_members(_read_capped(bundle, max_bytes), max_bytes)
    body, signature = members.pop(MANIFEST_NAME, None), members.pop(SIGNATURE_NAME, None)
    if body is None:
        raise BundleError("no manifest.json in bundle")
    if signature is None:
        raise BundleError("bundle is unsigned (no manifest.sig)")
    manifest = _check_signature(body, signature, trusted_keys)
    _check_files(manifest, members)
    if current_version is not None and not is_newer(manifest.version, current_version):
        raise BundleError(
            f"version {manifest.version} is not newer than running {current_version}"
            " (downgrade or replay)"
        )
    return VerifiedBundle(manifest, members)


def _read_capped(bundle: Path, max_bytes: int) -> bytes:
    # Read once into memory and check that copy, so nothing can swap the file
    # between the size check and the signature check.
    try:
        with bundle.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise BundleError(f"cannot read {bundle}: {exc}") from exc
    if len(data) > max_bytes:
        raise BundleError(f"bundle is larger than the {max_bytes}-byte limit")
    return data


def _read_members(data: bytes, max_bytes: int) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for info in tar:
                _check_member(info, members)
                total += info.size
                if total > max_bytes:
                    raise BundleError(f"bundle unpacks to more than {max_bytes} bytes")
                fh = tar.extractfile(info)
                members[info.name] = fh.read() if fh is not None else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BundleError(f"not a readable tar.gz: {exc}") from exc
    return members


def _check_member(info: tarfile.TarInfo, seen: Mapping[str, bytes]) -> None:
    if info.name.startswith("/"):
        raise BundleError(f"absolute path in bundle: {info.name!r}")
    if "/" in info.name or "\\" in info.name or info.name in {".", ".."}:
        raise BundleError(f"path in bundle (only flat names allowed): {info.name!r}")
    if info.issym() or info.islnk():
        raise BundleError(f"link in bundle: {info.name!r}")
    if not info.isreg():
        raise BundleError(f"non-regular member in bundle: {info.name!r}")
    _check_name(info.name)
    if info.name in seen:
        raise BundleError(f"duplicate member in bundle: {info.name!r}")


def _check_name(name: str) -> None:
    if not _SAFE_NAME.fullmatch(name):
        raise BundleError(f"unsafe file name in bundle: {name!r}")


def _check_signature(
    body: bytes, signature: bytes, trusted_keys: Sequence[Ed25519PublicKey]
) -> Manifest:
    # The signer id is read before the signature is checked only to pick a key;
    # nothing else in the manifest is believed until verify() succeeds.
    try:
        data = json.loads(body)
        signer = data["signer"]
    except (ValueError, TypeError, KeyError) as exc:
        raise BundleError(f"malformed manifest: {exc!r}") from exc
    keys = {key_id(k): k for k in trusted_keys}
    if signer not in keys:
        raise BundleError(f"signed by unknown key {signer!r}")
    try:
        keys[signer].verify(signature, body)
    except InvalidSignature:
        raise BundleError(f"bad signature (claimed key {signer})") from None
    return Manifest.from_dict(data)


def _check_files(manifest: Manifest, members: Mapping[str, bytes]) -> None:
    missing = sorted(manifest.files.keys() - members.keys())
    if missing:
        raise BundleError(f"file(s) named in manifest but missing: {', '.join(missing)}")
    extra = sorted(members.keys() - manifest.files.keys())
    if extra:
        raise BundleError(f"file(s) not in manifest: {', '.join(extra)}")
    for name, entry in manifest.files.items():
        data = members[name]
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise BundleError(f"file {name} does not match its manifest hash (tampered)")


# --- extract ----------------------------------------------------------------


def extract(verified: VerifiedBundle, dest_dir: Path) -> Path:
    """Write the bundle's files (and manifest.json) into `dest_dir`, replacing it whole.

    Files go into a temporary sibling directory that is renamed into place, so
    `dest_dir` never holds a half-written ruleset. If `dest_dir` already exists it
    is renamed aside first, then removed: there is a moment with no `dest_dir` at
    all, which is why the agent should extract to a fresh per-version directory
    and flip a symlink rather than reuse one path.
    """
    dest_dir = dest_dir.absolute()
    dest_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest_dir.parent, prefix=f".{dest_dir.name}.new."))
    try:
        for name, data in verified.files.items():
            _write_synced(tmp / name, data)
        _write_synced(tmp / MANIFEST_NAME, verified.manifest.canonical_bytes())
        _swap_in(tmp, dest_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest_dir


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _swap_in(new: Path, dest: Path) -> None:
    if not dest.exists():
        os.rename(new, dest)
        return
    old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.old."))
    os.rename(dest, old / dest.name)
    try:
        os.rename(new, dest)
    except OSError:
        os.rename(old / dest.name, dest)  # put the previous ruleset back
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)
