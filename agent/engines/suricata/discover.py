"""Find a Suricata binary and tell whether yamori can use it.

Owns: locating `suricata` (a configured path or PATH), parsing `suricata -V`
and the features `--build-info` reports. Does not start Suricata for
detection, and does not decide which engine to use (agent/engines/select.py).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MIN_VERSION = (7, 0)
_VERSION_RX = re.compile(r"Suricata version (\d+)\.(\d+)(?:\.(\d+))?")
_PROBE_TIMEOUT = 20.0


@dataclass(slots=True, frozen=True)
class BuildInfo:
    """The `--build-info` features yamori cares about."""

    hyperscan: bool = False
    af_packet: bool = False
    unix_socket: bool = False


@dataclass(slots=True, frozen=True)
class SuricataInfo:
    path: Path
    version: tuple[int, int, int]
    version_text: str
    build: BuildInfo

    @property
    def version_str(self) -> str:
        return ".".join(str(part) for part in self.version)


def find_binary(configured: str | Path | None = None) -> Path | None:
    """The configured binary if it is executable, else `suricata` on PATH."""
    if configured is not None:
        path = Path(configured)
        if path.is_file() and shutil.which(str(path)):
            return path
        found = shutil.which(str(configured))
        return Path(found) if found else None
    found = shutil.which("suricata")
    return Path(found) if found else None


def parse_version(text: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) from `suricata -V` output, None if absent."""
    m = _VERSION_RX.search(text)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def _yes(text: str, label: str) -> bool:
    # `--build-info` lines look like "  Hyperscan support:          yes".
    m = re.search(rf"^\s*{re.escape(label)}:\s*(\S+)", text, re.MULTILINE)
    return m is not None and m.group(1).lower().startswith("yes")


def parse_build_info(text: str) -> BuildInfo:
    """Features from `suricata --build-info` output."""
    return BuildInfo(
        hyperscan=_yes(text, "Hyperscan support"),
        af_packet=_yes(text, "AF_PACKET support"),
        unix_socket=_yes(text, "Unix socket enabled"),
    )


def _run(path: Path, *args: str) -> str | None:
    try:
        done = subprocess.run([str(path), *args], capture_output=True, text=True,
                              timeout=_PROBE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("cannot run %s %s: %s", path, " ".join(args), exc)
        return None
    return done.stdout + done.stderr


def probe(path: Path) -> SuricataInfo | None:
    """Version and build features of the binary at `path`, None if it won't say."""
    text = _run(path, "-V")
    version = parse_version(text or "")
    if version is None:
        return None
    build = parse_build_info(_run(path, "--build-info") or "")
    return SuricataInfo(path=path, version=version,
                        version_text=(text or "").strip(), build=build)


def usable(configured: str | Path | None = None) -> SuricataInfo | None:
    """A Suricata >= 7.0 yamori can run, or None (the reason is logged)."""
    path = find_binary(configured)
    if path is None:
        log.info("suricata: no binary found (%s)", configured or "PATH")
        return None
    info = probe(path)
    if info is None:
        log.info("suricata: %s does not report a version", path)
        return None
    if info.version[:2] < MIN_VERSION:
        log.info("suricata: %s is version %s, need >= 7.0", path, info.version_str)
        return None
    return info
