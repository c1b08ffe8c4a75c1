"""Look inside a rule bundle without trusting it (`yamori rules inspect`).

Reads the archive in memory (never extracting it), shows its manifest, whether
it carries a signature, whether each file matches the hash the manifest claims,
and the build report next to it when there is one. The signature itself is not
checked here: that needs the vendor's public key and is `rules.bundle.verify`
(`yamori rules verify`). Nothing this module returns should be taken as proof
that a bundle is genuine.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zlib
from pathlib import Path
from typing import Any

from rules.bundle import DEFAULT_MAX_BYTES, MANIFEST_NAME, SIGNATURE_NAME, BundleError
from rules.versioning import report_path


def inspect_bundle(bundle: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """What `bundle` claims to be, checked as far as is possible without a key."""
    members = _members(bundle, max_bytes)
    body = members.pop(MANIFEST_NAME, None)
    signature = members.pop(SIGNATURE_NAME, None)
    manifest = _manifest(body)
    claimed = manifest.get("files", {}) if isinstance(manifest.get("files"), dict) else {}
    info: dict[str, Any] = {
        "bundle": str(bundle),
        "signature": ("present, not checked (yamori rules verify --key PUB checks it)"
                      if signature is not None else "missing: the bundle is unsigned"),
        "manifest": manifest,
        "files": {name: _file_state(data, claimed.get(name)) for name, data in members.items()},
        "missing_files": sorted(set(claimed) - set(members)),
    }
    report = _report_summary(report_path(bundle))
    if report is not None:
        info["build_report"] = report
    return info


def _members(bundle: Path, max_bytes: int) -> dict[str, bytes]:
    try:
        with bundle.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise BundleError(f"cannot read {bundle}: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise BundleError(f"bundle is larger than the {max_bytes}-byte limit")
    members: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for info in tar:
                total += info.size
                if total > max_bytes:
                    raise BundleError(f"bundle unpacks to more than {max_bytes} bytes")
                member = tar.extractfile(info) if info.isreg() else None
                members[info.name] = member.read() if member is not None else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BundleError(f"not a readable tar.gz: {exc}") from exc
    return members


def _manifest(body: bytes | None) -> dict[str, Any]:
    if body is None:
        return {"error": "no manifest.json in bundle"}
    try:
        data = json.loads(body)
    except ValueError as exc:
        return {"error": f"manifest.json is not JSON: {exc}"}
    return data if isinstance(data, dict) else {"error": "manifest.json is not an object"}


def _file_state(data: bytes, claim: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"size": len(data)}
    if not isinstance(claim, dict):
        state["matches_manifest"] = False
        state["problem"] = "not named in the manifest"
        return state
    state["matches_manifest"] = (claim.get("size") == len(data)
                                 and claim.get("sha256") == hashlib.sha256(data).hexdigest())
    return state


def _report_summary(path: Path) -> dict[str, Any] | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict):
        return None
    builtin = report.get("builtin")
    if not isinstance(builtin, dict):
        builtin = {}
    return {
        "path": str(path),
        "rules": report.get("rules"),
        "suricata_test": report.get("suricata_test"),
        "builtin": {k: builtin.get(k) for k in ("loaded", "skipped", "by_reason")},
        "build_seconds": report.get("build_seconds"),
    }
