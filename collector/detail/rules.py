"""The rule text behind an alert: (gid, sid) -> rule, over the rule files the collector knows.

Owns: which files those are (a list of rule files and directories of
`*.rules`, and the newest published ruleset bundle under a directory), reading
rules out of them (Suricata's syntax: `#` disables a rule, a trailing `\\`
continues it on the next line, `;` separates options unless escaped), and an
index per file built lazily on first lookup and rebuilt when the file's mtime
or size changes. Does not own: parsing rules for detection (agent/detect),
verifying bundles (rules/bundle.py verified them when they were published), or
HTTP.

A rule that is there but disabled is still the rule behind an alert raised by
a box running another ruleset, so it is found too, marked `enabled: false`;
an enabled copy wins over a disabled one, and a copy with the alert's rev wins
over both.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tarfile
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from collector.detail.schemas import RuleInfo
from rules.bundle import MANIFEST_NAME, parse_version
from yamori.errors import BundleError

log = logging.getLogger(__name__)

# Suricata's actions; a commented-out line starting with one of them is a disabled rule.
_RULE_START = re.compile(r"(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)\s")
_UNESCAPED_SEMICOLON = re.compile(r"(?<!\\);")
DEFAULT_MAX_BUNDLE_BYTES = 64 * 1024 * 1024


@dataclass(slots=True, frozen=True)
class FoundRule:
    """One rule as it stands in a rule file."""

    gid: int
    sid: int
    rev: int
    text: str
    source: str
    enabled: bool


RuleMap = dict[tuple[int, int], list[FoundRule]]


# --- reading rule text -------------------------------------------------------------


def logical_lines(text: str) -> Iterator[str]:
    """Lines with Suricata's trailing-backslash continuations joined."""
    pending = ""
    for line in text.splitlines():
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1]
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def rule_ids(rule: str) -> tuple[int, int, int] | None:
    """(gid, sid, rev) of one rule's text; None when it names no sid."""
    start, end = rule.find("("), rule.rfind(")")
    if start < 0 or end < start:
        return None
    found = {"gid": 1, "rev": 0}
    for option in _UNESCAPED_SEMICOLON.split(rule[start + 1:end]):
        key, sep, value = option.partition(":")
        key = key.strip()
        if sep and key in ("gid", "sid", "rev") and value.strip().isdigit():
            found[key] = int(value.strip())
    if "sid" not in found:
        return None
    return found["gid"], found["sid"], found["rev"]


def parse_rules(text: str, source: str) -> RuleMap:
    """Every rule (enabled or commented out) in a rule file's text, by (gid, sid)."""
    found: RuleMap = {}
    for line in logical_lines(text):
        stripped = line.strip()
        enabled = not stripped.startswith("#")
        candidate = stripped if enabled else stripped.lstrip("#").strip()
        if not _RULE_START.match(candidate):
            continue
        ids = rule_ids(candidate)
        if ids is not None:
            gid, sid, rev = ids
            found.setdefault((gid, sid), []).append(
                FoundRule(gid, sid, rev, candidate, source, enabled))
    return found


# --- where rules come from -------------------------------------------------------------


def rule_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and the `*.rules` in the directories named, in that order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.glob("*.rules"))
        elif path.is_file():
            files.append(path)
    return files


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def bundle_version(path: Path) -> tuple[int, ...]:
    """The version a bundle's manifest names ((): unreadable); the manifest is its first member."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            member = tar.next()
            handle = tar.extractfile(member) if member and member.name == MANIFEST_NAME else None
            manifest = json.loads(handle.read(1024 * 1024)) if handle is not None else {}
        return parse_version(str(manifest.get("version")))
    except (OSError, tarfile.TarError, EOFError, zlib.error, ValueError, AttributeError,
            BundleError):
        return ()


def read_bundle_rules(path: Path, max_bytes: int = DEFAULT_MAX_BUNDLE_BYTES) -> RuleMap:
    """The rules of every `*.rules` member of a bundle (`bundle.tar.gz:member` as source)."""
    found: RuleMap = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                if not (member.isreg() and member.name.endswith(".rules")):
                    continue
                total += member.size
                if total > max_bytes:
                    log.warning("bundle %s unpacks to more than %d bytes; rest skipped",
                                path, max_bytes)
                    break
                handle = tar.extractfile(member)
                text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace").read() \
                    if handle is not None else ""
                _merge(found, parse_rules(text, f"{path.name}:{member.name}"))
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        log.warning("cannot read rule bundle %s: %s", path, exc)
    return found


def _merge(into: RuleMap, more: RuleMap) -> None:
    for key, rules in more.items():
        into.setdefault(key, []).extend(rules)


# --- the index ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Indexed:
    stamp: tuple[int, int]
    rules: RuleMap


class RuleIndex:
    """(gid, sid, rev) -> rule text over rule files and the newest bundle, kept current."""

    def __init__(self, paths: Sequence[Path], bundle_dir: Path | None = None,
                 max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES) -> None:
        self.paths = list(paths)
        self.bundle_dir = bundle_dir
        self.max_bundle_bytes = max_bundle_bytes
        self._files: dict[Path, _Indexed] = {}
        self._versions: dict[Path, tuple[tuple[int, int], tuple[int, ...]]] = {}
        self._lock = threading.Lock()

    def lookup(self, gid: int, sid: int, rev: int) -> RuleInfo:
        """The rule an alert names, or `known: false` ("rule text unknown")."""
        with self._lock:
            candidates = [rule for source in self._sources()
                          for rule in self._indexed(source).get((gid, sid), [])]
        best = _best(candidates, rev)
        if best is None:
            return RuleInfo(known=False, gid=gid, sid=sid, rev=rev)
        return RuleInfo(known=True, gid=gid, sid=sid, rev=rev, text=best.text,
                        source=best.source, found_rev=best.rev, enabled=best.enabled)

    def _sources(self) -> list[Path]:
        sources = rule_files(self.paths)
        bundle = self._newest_bundle()
        return sources + ([bundle] if bundle is not None else [])

    def _newest_bundle(self) -> Path | None:
        if self.bundle_dir is None or not self.bundle_dir.is_dir():
            return None
        ranked: list[tuple[tuple[int, ...], int, Path]] = []
        for path in self.bundle_dir.rglob("*.tar.gz"):
            stamp = _stamp(path) if not path.name.startswith(".") else None
            if stamp is None:
                continue
            known = self._versions.get(path)
            if known is None or known[0] != stamp:
                known = (stamp, bundle_version(path))
                self._versions[path] = known
            ranked.append((known[1], stamp[0], path))
        return max(ranked)[2] if ranked else None

    def _indexed(self, path: Path) -> RuleMap:
        stamp = _stamp(path)
        if stamp is None:
            return {}
        entry = self._files.get(path)
        if entry is None or entry.stamp != stamp:
            entry = _Indexed(stamp, self._read(path))
            self._files[path] = entry
            log.debug("indexed %d rules from %s", len(entry.rules), path)
        return entry.rules

    def _read(self, path: Path) -> RuleMap:
        if path.name.endswith(".tar.gz"):
            return read_bundle_rules(path, self.max_bundle_bytes)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            log.warning("cannot read rule file %s: %s", path, exc)
            return {}
        return parse_rules(text, path.name)


def _best(candidates: list[FoundRule], rev: int) -> FoundRule | None:
    # The alert's own rev first, then enabled before disabled, then the newest rev;
    # among equals the first source listed (yamori's own files come before bundles).
    if not candidates:
        return None
    order = {id(rule): n for n, rule in enumerate(candidates)}
    return min(candidates, key=lambda r: (r.rev != rev, not r.enabled, -r.rev, order[id(r)]))
