"""Bundle versions for the vendor's builds: `YYYY.MM.DD.N` (UTC), always increasing.

Boxes refuse a bundle that is not strictly newer than the one they run
(rules/bundle.py), so every build must get a version above every earlier one.
The earlier ones are the bundles already in the output directory, named
`<name>-<version>.tar.gz`. A new build gets today's date with N = 1, or, when a
bundle of today (or, after the build host's clock went back, of a later day)
is already there, the newest version with its last number bumped.

What this module does not do: read bundles (only their names) or pack them.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from rules.bundle import parse_version
from yamori.errors import RuleBuildError

log = logging.getLogger(__name__)

BUNDLE_SUFFIX = ".tar.gz"
REPORT_SUFFIX = ".report.json"


def bundle_path(out_dir: Path, name: str, version: str) -> Path:
    """Where the bundle `version` of `name` lives in `out_dir`."""
    return out_dir / f"{name}-{version}{BUNDLE_SUFFIX}"


def report_path(bundle: Path) -> Path:
    """The build report written next to `bundle` (a bundle holds only rules and configs)."""
    return bundle.with_name(bundle.name + REPORT_SUFFIX)


def existing_versions(out_dir: Path, name: str) -> list[tuple[int, ...]]:
    """Versions of the `name` bundles already in `out_dir`, oldest first."""
    pattern = re.compile(rf"{re.escape(name)}-([0-9]+(?:\.[0-9]+)*){re.escape(BUNDLE_SUFFIX)}")
    found = []
    if out_dir.is_dir():
        for path in out_dir.iterdir():
            match = pattern.fullmatch(path.name)
            if match:
                found.append(parse_version(match.group(1)))
    return sorted(found)


def next_version(out_dir: Path, name: str, now: datetime | None = None,
                 requested: str | None = None) -> str:
    """The version the next build in `out_dir` gets (or `requested`, once checked)."""
    previous = existing_versions(out_dir, name)
    newest = previous[-1] if previous else None
    if requested is not None:
        wanted = parse_version(requested)
        if newest is not None and wanted <= newest:
            raise RuleBuildError(f"version {requested} is not newer than {_text(newest)}, "
                                 f"already built in {out_dir}")
        return requested
    today = (now or datetime.now(UTC)).astimezone(UTC)
    candidate = (today.year, today.month, today.day, 1)
    if newest is None or candidate > newest:
        return _text(candidate, pad=True)
    if newest[:3] > candidate[:3]:
        log.warning("newest bundle %s is dated after today (%s): build clock went back?",
                    _text(newest), today.date().isoformat())
    return _text((*newest[:-1], newest[-1] + 1), pad=True)


def _text(version: tuple[int, ...], pad: bool = False) -> str:
    parts = [str(n) for n in version]
    if pad and len(version) == 4:
        # Month and day zero-padded, so the names also sort by date in `ls`.
        parts[1:3] = [f"{n:02d}" for n in version[1:3]]
    return ".".join(parts)
