"""Accepting a published bundle: verify it, refuse what may not be published, save it.

Owns: the bundle files under `rules_dir` (`<version>.tar.gz`, written beside
and renamed into place, so a file is complete or absent), the vendor key the
collector checks signatures with (`rules_vendor_key_file`), and the publish
rules: a bundle is accepted only when it is within `rules_max_bundle_bytes`,
signed by the vendor key, untampered, not already published, and newer than
the version its channel serves now (an existing bundle moves between
channels by promotion, channels.py). Does not own: the bundle format
(rules/bundle.py) or the channel pointers (channels.py).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.audit import record_audit
from collector.config import CollectorConfig
from collector.rulesets.channels import check_channel, move_pointer, pointer
from collector.rulesets.models import RulesetBundle, dumps
from rules.bundle import Manifest, VerifiedBundle, is_newer, load_public_key, verify
from yamori.errors import BundleError, ConfigError, IngestError

log = logging.getLogger(__name__)
SUFFIX = ".tar.gz"


@dataclass(slots=True, frozen=True)
class Published:
    """A bundle just accepted, and the channel version it replaced."""

    bundle: RulesetBundle
    channel: str
    previous: str | None


def bundle_path(rules_dir: Path, version: str) -> Path:
    """Where bundle `version` lives (versions are dot-separated digits: a safe name)."""
    return rules_dir / f"{version}{SUFFIX}"


def vendor_keys(config: CollectorConfig) -> list[Ed25519PublicKey]:
    """The key(s) bundles must be signed with; 403 when none is configured."""
    if not config.rules_vendor_key_file:
        raise IngestError("publishing disabled: set rules_vendor_key_file in the collector "
                          "config", 403)
    try:
        return [load_public_key(Path(config.rules_vendor_key_file))]
    except BundleError as exc:
        raise ConfigError("rules_vendor_key_file", exc.reason) from exc


def publish(session: Session, config: CollectorConfig, data: bytes, channel: str, by: str,
            now: datetime) -> Published:
    """Verify `data` as a bundle, save it and point `channel` at it; commits.

    Refusals: 422 (not a valid bundle signed by the vendor key), 413 (over the
    size limit), 409 (already published, or not newer than the channel's version).
    """
    check_channel(channel)
    if len(data) > config.rules_max_bundle_bytes:
        raise IngestError(f"bundle exceeds rules_max_bundle_bytes "
                          f"({config.rules_max_bundle_bytes} bytes)", 413)
    rules_dir = Path(config.rules_dir)
    rules_dir.mkdir(parents=True, exist_ok=True)
    incoming = _write_incoming(rules_dir, data)
    try:
        verified = _verified(incoming, config)
        version = verified.manifest.version
        _check_publishable(session, version, channel)
        row = _bundle_row(verified.manifest, data, by, now)
        session.add(row)
        _claim(session, version)
        # The row is flushed (its version claimed) before the file is renamed in,
        # so two publishers of one version cannot overwrite each other's file.
        os.replace(incoming, bundle_path(rules_dir, version))
    finally:
        incoming.unlink(missing_ok=True)
    previous = move_pointer(session, channel, version, "publish", by, now)
    record_audit(session, by, "ruleset.publish", f"ruleset:{version}",
                 {"channel": channel, "sha256": row.sha256, "previous": previous}, now=now)
    session.commit()
    log.info("ruleset %s published to %s by %s", version, channel, by)
    return Published(row, channel, previous)


def _write_incoming(rules_dir: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(dir=rules_dir, prefix=".incoming.", suffix=SUFFIX)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return Path(name)


def _verified(path: Path, config: CollectorConfig) -> VerifiedBundle:
    try:
        return verify(path, vendor_keys(config), max_bytes=config.rules_max_bundle_bytes)
    except BundleError as exc:
        raise IngestError(str(exc), 422) from exc


def _check_publishable(session: Session, version: str, channel: str) -> None:
    if session.get(RulesetBundle, version) is not None:
        raise IngestError(f"version {version} is already published "
                          "(promote it to move it to another channel)", 409)
    current = pointer(session, channel)
    if current is not None and not is_newer(version, current.version):
        raise IngestError(f"version {version} is not newer than {current.version}, "
                          f"which channel '{channel}' serves now", 409)


def _claim(session: Session, version: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise IngestError(f"version {version} is already published", 409) from exc


def _bundle_row(manifest: Manifest, data: bytes, by: str, now: datetime) -> RulesetBundle:
    return RulesetBundle(
        version=manifest.version, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        manifest=dumps(manifest.to_dict()), key_id=manifest.signer,
        rule_count=sum(manifest.rule_counts.values()), published_at=now, published_by=by)
