"""Where rule bundles live on the box, and the two symlinks that say which one runs.

    <data_dir>/rules/
      archives/<sha256>.tar.gz      the signed bundles as downloaded (re-verified for rollback)
      archives/<sha256>.etag        the ETag the server gave it, for conditional GETs
      bundles/<effective_version>/  an extracted bundle with the overrides applied,
                                    plus manifest.json and yamori-bundle.json (BundleMeta)
      current  -> bundles/<v>       what the engine runs (the agent loads it at start)
      previous -> bundles/<v>       what ran before, kept for rollback
      download/                     partial downloads

Owns those paths, BundleMeta, flipping a link atomically (a new symlink
renamed over the old one) and pruning what no link names. It does not
verify, download or test anything.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rules.bundle import write_atomically

log = logging.getLogger(__name__)

META_NAME = "yamori-bundle.json"
# Flat names only: an effective version from the wire becomes a directory name.
SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BundleMeta:
    """What an installed bundle directory holds (written by install.py)."""

    version: str  # the signed manifest's version
    effective_version: str  # version plus the overrides applied ("<v>+o<digest>")
    sha256: str  # of the signed archive in archives/
    installed_at: str  # ISO 8601 UTC
    overrides: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def read(cls, bundle_dir: Path) -> BundleMeta | None:
        """The meta of `bundle_dir`, None when missing or unreadable."""
        try:
            data = json.loads((bundle_dir / META_NAME).read_text(encoding="utf-8"))
            return cls(version=str(data["version"]),
                       effective_version=str(data["effective_version"]),
                       sha256=str(data["sha256"]), installed_at=str(data["installed_at"]),
                       overrides=list(data.get("overrides") or []))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, bundle_dir: Path) -> None:
        write_atomically(bundle_dir / META_NAME,
                         json.dumps(asdict(self), sort_keys=True, indent=1).encode())


class RulesLayout:
    """The rules tree under one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "rules"
        self.bundles = self.root / "bundles"
        self.archives = self.root / "archives"
        self.download = self.root / "download"
        self.current = self.root / "current"
        self.previous = self.root / "previous"

    def ensure(self) -> None:
        for path in (self.bundles, self.archives, self.download):
            path.mkdir(parents=True, exist_ok=True)

    def bundle_dir(self, effective_version: str) -> Path:
        if not SAFE_NAME.fullmatch(effective_version):
            raise ValueError(f"unsafe bundle directory name {effective_version!r}")
        return self.bundles / effective_version

    def archive(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.archives / f"{sha256}.tar.gz"

    def target(self, link: Path) -> Path | None:
        """The bundle directory `link` names, resolved; None when absent or dangling."""
        if not link.is_symlink():
            return None
        resolved = link.resolve()
        return resolved if resolved.is_dir() else None

    def running(self) -> tuple[Path, BundleMeta] | None:
        """The bundle `current` names and its meta, when there is one."""
        return self._linked(self.current)

    def before(self) -> tuple[Path, BundleMeta] | None:
        """The bundle `previous` names and its meta, when there is one."""
        return self._linked(self.previous)

    def _linked(self, link: Path) -> tuple[Path, BundleMeta] | None:
        target = self.target(link)
        meta = BundleMeta.read(target) if target is not None else None
        return (target, meta) if target is not None and meta is not None else None

    def point(self, link: Path, bundle_dir: Path | None) -> None:
        """Make `link` name `bundle_dir` (relative, so the data dir may move); None removes it."""
        if bundle_dir is None:
            link.unlink(missing_ok=True)
            return
        tmp = link.with_name(f".{link.name}.{os.getpid()}.new")
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(bundle_dir, link.parent), tmp)
        os.replace(tmp, link)  # rename(2): readers see the old link or the new one
        _fsync_dir(link.parent)

    def prune(self) -> None:
        """Remove bundles and archives neither `current` nor `previous` names (keeps 2)."""
        kept = [entry for entry in (self.running(), self.before()) if entry is not None]
        keep_dirs = {path.name for path, _ in kept}
        keep_archives = {f"{meta.sha256}.tar.gz" for _, meta in kept}
        keep_archives |= {f"{meta.sha256}.etag" for _, meta in kept}
        for path in _children(self.bundles):
            if path.name not in keep_dirs:
                shutil.rmtree(path, ignore_errors=True)
        for path in _children(self.archives):
            if path.name not in keep_archives:
                path.unlink(missing_ok=True)
        for path in _children(self.download):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)  # a test load a crash left behind
            else:
                path.unlink(missing_ok=True)


def current_bundle_dir(data_dir: Path) -> Path | None:
    """The bundle directory the agent should run, resolved, or None (no update installed)."""
    layout = RulesLayout(data_dir)
    target = layout.target(layout.current)
    if target is None:
        return None
    return target if any(target.glob("*.rules")) else None


def _children(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except OSError:
        return []


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once its directory is: a power cut must not
    # bring back the old link after the agent reported the new version.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
