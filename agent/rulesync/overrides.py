"""Per-tenant overrides laid on an extracted bundle, and the version they make.

Owns: checking each RuleOverride can be written in Suricata's syntax, the
effective version ("<bundle version>+o<digest>", the same digest the
collector computes), and applying overrides to the bundle's copy on disk:

- disable: every rule line with that gid:sid (gid 1 when the rule names
  none) is commented out, each physical line of a multi-line rule included;
- suppress / threshold: one threshold.config line each, appended, in the
  syntax of Suricata's global thresholds (`suppress gen_id G, sig_id S[,
  track T, ip A]`, `threshold gen_id G, sig_id S, type T, track K, count N,
  seconds M`), which both Suricata and the builtin engine
  (agent/detect/threshold_config.py) read.

Overrides only take alerting away. The signed files themselves are never
changed: this works on the extracted copy. It does not verify, extract or
load anything.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from uplink.schema import RuleOverride
from yamori.errors import BundleError

THRESHOLD_FILE = "threshold.config"
_SUPPRESS_TRACKS = frozenset({"by_src", "by_dst", "by_either"})
_THRESHOLD_TRACKS = frozenset({"by_src", "by_dst", "by_both", "by_rule"})
_SID = re.compile(r"(?:^|[(;])\s*sid\s*:\s*\"?\s*(\d+)")
_GID = re.compile(r"(?:^|[(;])\s*gid\s*:\s*\"?\s*(\d+)")


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying the overrides changed."""

    disabled: int  # rules commented out
    threshold_lines: int  # lines appended to threshold.config
    missing: tuple[str, ...]  # "gid:sid" of disable overrides matching no rule


def overrides_digest(overrides: Sequence[RuleOverride]) -> str | None:
    """A short digest naming a set of overrides (None for none), as the collector makes it."""
    if not overrides:
        return None
    canonical = json.dumps([o.model_dump(mode="json") for o in overrides],
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def effective_version(version: str, overrides: Sequence[RuleOverride]) -> str:
    """"<version>+o<digest>", or `version` itself when there are no overrides."""
    digest = overrides_digest(overrides)
    return version if digest is None else f"{version}+o{digest}"


def threshold_line(override: RuleOverride) -> str:
    """The threshold.config line of a suppress or threshold override; BundleError if invalid."""
    head = f"gen_id {override.gid}, sig_id {override.sid}"
    if override.kind == "suppress":
        if override.track is None and override.ip is None:
            return f"suppress {head}"
        if override.track not in _SUPPRESS_TRACKS or override.ip is None:
            raise BundleError(f"override suppress {override.gid}:{override.sid}: needs track "
                              f"by_src|by_dst|by_either together with ip")
        return f"suppress {head}, track {override.track}, ip {_address(override)}"
    if override.kind == "threshold":
        if (override.type is None or override.track not in _THRESHOLD_TRACKS
                or override.count is None or override.seconds is None):
            raise BundleError(f"override threshold {override.gid}:{override.sid}: needs type, "
                              f"track (by_src|by_dst|by_both|by_rule), count and seconds")
        return (f"threshold {head}, type {override.type}, track {override.track}, "
                f"count {override.count}, seconds {override.seconds}")
    raise BundleError(f"override {override.kind} has no threshold.config line")


def _address(override: RuleOverride) -> str:
    # Only literal addresses and networks: the text lands in a config file,
    # so nothing that could end the line or name a variable gets through.
    text = (override.ip or "").strip()
    items = text[1:-1].split(",") if text.startswith("[") and text.endswith("]") else [text]
    try:
        networks = [ipaddress.ip_network(item.strip(), strict=False) for item in items]
    except ValueError:
        raise BundleError(f"override suppress {override.gid}:{override.sid}: "
                          f"bad ip {text[:64]!r}") from None
    if len(networks) == 1:
        return str(networks[0])
    return "[" + ",".join(str(n) for n in networks) + "]"


def check(overrides: Sequence[RuleOverride]) -> None:
    """Raise BundleError for the first override that cannot be applied."""
    for override in overrides:
        if override.kind != "disable":
            threshold_line(override)


def apply(bundle_dir: Path, overrides: Sequence[RuleOverride]) -> Applied:
    """Apply `overrides` to the ruleset files in `bundle_dir` (in place)."""
    check(overrides)
    disable = {(o.gid, o.sid) for o in overrides if o.kind == "disable"}
    found: set[tuple[int, int]] = set()
    if disable:
        for path in sorted(bundle_dir.glob("*.rules")):
            found |= _disable_in(path, disable)
    lines = [threshold_line(o) for o in overrides if o.kind != "disable"]
    if lines:
        _append_thresholds(bundle_dir / THRESHOLD_FILE, lines)
    missing = tuple(f"{g}:{s}" for g, s in sorted(disable - found))
    return Applied(disabled=len(found), threshold_lines=len(lines), missing=missing)


def _disable_in(path: Path, disable: set[tuple[int, int]]) -> set[tuple[int, int]]:
    # latin-1 round-trips every byte, and lines end at "\n" only (as Suricata
    # reads them): the file changes by the inserted "# " and nothing else.
    lines = path.read_bytes().decode("latin-1").split("\n")
    found: set[tuple[int, int]] = set()
    for first, last, text in _rules(lines):
        key = _rule_key(text)
        if key in disable:
            found.add(key)
            for i in range(first, last + 1):
                lines[i] = "# " + lines[i]
    if found:
        path.write_bytes("\n".join(lines).encode("latin-1"))
    return found


def _rules(lines: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    """(first index, last index, joined text) per enabled rule, continuation lines included."""
    start: int | None = None
    parts: list[str] = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if start is None:
            if not stripped or stripped.startswith("#"):
                continue
            start = i
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(stripped)
        yield start, i, "".join(parts)
        start, parts = None, []
    if start is not None:
        yield start, len(lines) - 1, "".join(parts)


def _rule_key(text: str) -> tuple[int, int] | None:
    body = text[text.find("("):] if "(" in text else ""
    sid = _SID.findall(body)
    if not sid:
        return None
    gid = _GID.findall(body)
    return (int(gid[-1]) if gid else 1, int(sid[-1]))


def _append_thresholds(path: Path, lines: Sequence[str]) -> None:
    existing = path.read_text(encoding="utf-8") if path.is_file() else ""
    if existing and not existing.endswith("\n"):
        existing += "\n"
    block = "# yamori: per-tenant overrides\n" + "".join(f"{line}\n" for line in lines)
    path.write_text(existing + block, encoding="utf-8")
