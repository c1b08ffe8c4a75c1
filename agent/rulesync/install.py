"""Install a downloaded bundle: verify, extract, apply overrides, test-load, swap.

Owns the steps between an archive on disk and `<data_dir>/rules/current`
naming it: `rules.bundle.verify` against the vendor keys the box was
installed with (refusing a version not strictly newer than the running
one, unless the caller ruled a downgrade out), extraction into
`bundles/<effective_version>/`, the per-tenant overrides on that copy
(overrides.py), the test load (testload.py), and the swap: `previous` is
pointed at what ran, then `current` at the new bundle, each by renaming a
new symlink over the old one. `revert` puts both links back when the
engine refuses the new set. Every refusal is a BundleError whose `reason`
is what the heartbeat reports. Whether an offer should be installed at all
(no-op, downgrade, rollback) is the updater's decision, not this module's.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from agent.rulesync import overrides as ov
from agent.rulesync.layout import BundleMeta, RulesLayout
from agent.rulesync.testload import LoadCheck, TestLoader
from rules.bundle import extract, load_public_key, verify
from uplink.schema import RuleOverride
from yamori.errors import BundleError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prepared:
    """An extracted, overridden and test-loaded bundle, ready to swap in."""

    bundle_dir: Path
    meta: BundleMeta
    load: LoadCheck


@dataclass(frozen=True, slots=True)
class Links:
    """Where `current` and `previous` pointed before a swap (for revert)."""

    current: Path | None
    previous: Path | None


def load_vendor_keys(paths: Sequence[Path]) -> list[Ed25519PublicKey]:
    """The configured vendor public keys; BundleError when none is configured or one is bad."""
    if not paths:
        raise BundleError("no vendor key configured (rules.vendor_keys)")
    return [load_public_key(path) for path in paths]


class Installer:
    """Turns verified archives into the running ruleset of one RulesLayout."""

    def __init__(self, layout: RulesLayout, tester: TestLoader, max_bytes: int) -> None:
        self.layout = layout
        self.tester = tester
        self.max_bytes = max_bytes

    def prepare(self, archive: Path, sha256: str, version: str,
                overrides: Sequence[RuleOverride], keys: Sequence[Ed25519PublicKey], *,
                newer_than: str | None, baseline: LoadCheck | None,
                effective: str | None = None) -> Prepared:
        """Verify `archive` as bundle `version`, extract it with `overrides`, test-load it.

        `newer_than`: the signed version must be strictly newer (a downgrade
        or replay is refused); None when the caller has ruled that out itself
        (same bundle with other overrides, or a rollback to `previous`).
        `effective`: the name the offer gives this version with its overrides
        (computed here when None); it is what the box reports once it runs.
        """
        verified = verify(archive, keys, current_version=newer_than, max_bytes=self.max_bytes)
        signed = verified.manifest.version
        if signed != version:
            raise BundleError(f"signed bundle is version {signed}, the offer names {version}")
        ov.check(overrides)
        effective = effective or ov.effective_version(signed, overrides)
        self.layout.ensure()
        target = extract(verified, self.layout.bundle_dir(effective))
        try:
            applied = ov.apply(target, overrides)
            if applied.missing:
                log.info("disable override(s) for %s match no rule in %s",
                         ", ".join(applied.missing), signed)
            meta = BundleMeta(version=signed, effective_version=effective, sha256=sha256,
                              installed_at=_now(),
                              overrides=[o.model_dump(mode="json") for o in overrides])
            meta.write(target)
            load = self.tester.check(target, baseline)
        except BaseException:
            self.discard(target)
            raise
        return Prepared(target, meta, load)

    def swap(self, prepared: Prepared) -> Links:
        """Make `prepared` the running bundle; what ran before becomes `previous`."""
        layout = self.layout
        before = Links(layout.target(layout.current), layout.target(layout.previous))
        if before.current is not None and before.current != prepared.bundle_dir.resolve():
            layout.point(layout.previous, before.current)
        layout.point(layout.current, prepared.bundle_dir)
        return before

    def revert(self, links: Links) -> None:
        """Point `current` and `previous` back where they were before `swap`."""
        self.layout.point(self.layout.current, links.current)
        self.layout.point(self.layout.previous, links.previous)

    def discard(self, bundle_dir: Path) -> None:
        """Remove an extracted bundle no link names (a failed install)."""
        linked = {self.layout.target(self.layout.current), self.layout.target(self.layout.previous)}
        if bundle_dir.resolve() not in linked:
            shutil.rmtree(bundle_dir, ignore_errors=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
