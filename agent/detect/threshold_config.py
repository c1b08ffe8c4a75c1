"""threshold.config for the builtin engine (Suricata's util-threshold-config.c, 7.0).

Owns reading a threshold.config (`#` comments, blank lines, a trailing
backslash continuing an entry on the next line) into entries, and laying
those entries over loaded rules the way Suricata does:

- `suppress gen_id G, sig_id S` makes the rule noalert (flowbits and other
  actions still run); with `track by_src|by_dst|by_either, ip ADDR` only
  alerts whose source / destination / either address is in ADDR are
  suppressed, and those still apply their action (Suricata's "return 2").
  Suppressions are checked before the rule's threshold.
- `threshold` (or `event_filter`) for one gid:sid replaces the rule's own
  threshold/detection_filter (a later line replaces an earlier one); with
  sid 0 (all rules, or all rules of gid G) it applies only to rules that have
  no threshold yet.
- gid 0 or sid 0 select every gid / sid; sid > 0 with gid 0 is an error.

A line that does not parse is a `ConfigProblem`, never an exception: the
engine logs it and loads the rest, as Suricata does at run time (its `-T`
refuses such a file; the rule updater's test load does the same).
`rate_filter` changes a rule's action, which an alert-only engine cannot
honour: it is reported as unsupported. The alert-time logic is threshold.py
and engine.py; this module does not match packets itself beyond an address
test.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agent.detect.addresses import AddressSet, parse_addresses
from agent.detect.rule import Rule
from agent.detect.threshold import ThresholdSpec
from yamori.errors import RuleParseError

if TYPE_CHECKING:
    from agent.decode.packet import Packet

FILE_NAME = "threshold.config"
SETTING = "threshold-file"  # Suricata's suricata.yaml / --set key
UINT32_MAX = 0xFFFFFFFF

_BASE = re.compile(r"^\s*(event_filter|threshold|rate_filter|suppress)\s*gen_id\s*(\d+)\s*,"
                   r"\s*sig_id\s*(\d+)\s*(.*?)\s*$")
_THRESHOLD = re.compile(r"^,\s*type\s*(limit|both|threshold)\s*,\s*track\s*"
                        r"(by_dst|by_src|by_both|by_rule)\s*,\s*count\s*(\d+)\s*,"
                        r"\s*seconds\s*(\d+)\s*$")
_SUPPRESS = re.compile(r"^,\s*track\s*(by_dst|by_src|by_either)\s*,\s*ip\s*"
                       r"([\[\],$\s\da-zA-Z.:/_]+)\s*$")

SuppressKey = tuple[int, int]  # (gid, sid)


@dataclass(slots=True, frozen=True)
class Suppression:
    """`suppress … track T, ip ADDR`: alerts with a tracked address in ADDR are silenced."""

    track: str  # by_src | by_dst | by_either
    addresses: AddressSet

    def matches(self, pkt: Packet) -> bool:
        """True when this packet's tracked address is one of the suppressed ones."""
        src = self.addresses.matches(pkt.ip_version, pkt.src_addr)
        if self.track == "by_src":
            return src
        dst = self.addresses.matches(pkt.ip_version, pkt.dst_addr)
        return dst if self.track == "by_dst" else src or dst


@dataclass(slots=True, frozen=True)
class Entry:
    """One parsed threshold.config line: a suppress (spec None) or a threshold."""

    kind: str  # "suppress" | "threshold"
    gid: int
    sid: int
    line: int
    spec: ThresholdSpec | None = None  # threshold / event_filter
    suppression: Suppression | None = None  # suppress with track and ip; None: all alerts

    def selects(self, rule: Rule) -> bool:
        return (self.gid == 0 or self.gid == rule.gid) and (self.sid == 0 or self.sid == rule.sid)


@dataclass(slots=True, frozen=True)
class ConfigProblem:
    """A threshold.config line the engine does not apply, and why."""

    line: int
    text: str
    message: str
    unsupported: bool = False  # valid for Suricata, not honoured by this engine

    def __str__(self) -> str:
        return f"threshold.config line {self.line}: {self.message}"


@dataclass(slots=True)
class ThresholdConfig:
    """Every entry of one threshold.config, in file order, and the lines not applied."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)

    def apply(self, rules: Sequence[Rule]) -> tuple[list[Rule], dict[SuppressKey,
                                                                        tuple[Suppression, ...]]]:
        """The rules with thresholds and noalert laid on, and the per-rule suppressions."""
        if not self.entries:
            return list(rules), {}
        out: list[Rule] = []
        suppressions: dict[SuppressKey, tuple[Suppression, ...]] = {}
        for rule in rules:
            updated, own = _apply_to(rule, self.entries)
            out.append(updated)
            if own:
                suppressions[(rule.gid, rule.sid)] = own
        return out, suppressions


def _apply_to(rule: Rule, entries: Sequence[Entry]) -> tuple[Rule, tuple[Suppression, ...]]:
    threshold, noalert = rule.threshold, rule.noalert
    suppressions: list[Suppression] = []
    for entry in entries:
        if not entry.selects(rule):
            continue
        if entry.kind == "suppress":
            if entry.suppression is None:
                noalert = True
            else:
                suppressions.append(entry.suppression)
        elif entry.sid != 0 or threshold is None:
            # A line for this very sid replaces; a global one only fills a gap.
            threshold = entry.spec
    if threshold is rule.threshold and noalert == rule.noalert:
        return rule, tuple(suppressions)
    return dataclasses.replace(rule, threshold=threshold, noalert=noalert), tuple(suppressions)


def config_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, entry text) per entry; continuation lines are joined."""
    pending = ""
    start = 0
    # Lines end at "\n" only, as fgets(3) reads them (str.splitlines would also
    # split at \x1c, \x85 and other characters Suricata keeps inside a line).
    for lineno, line in enumerate(text.split("\n"), 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = lineno
        body = line.rstrip()
        if body.endswith("\\"):
            # Suricata overwrites the backslash with the next line's text.
            pending += body[:-1]
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def parse(text: str, variables: Mapping[str, str]) -> ThresholdConfig:
    """Parse threshold.config text; `variables` resolve `$VAR` in suppress addresses."""
    config = ThresholdConfig()
    for lineno, entry_text in config_lines(text):
        try:
            config.entries.append(parse_entry(entry_text, variables, lineno))
        except _Unsupported as exc:
            config.problems.append(ConfigProblem(lineno, entry_text.strip(), str(exc), True))
        except RuleParseError as exc:
            config.problems.append(ConfigProblem(lineno, entry_text.strip(), str(exc)))
    return config


def load(path: Path, variables: Mapping[str, str]) -> ThresholdConfig:
    """Read and parse the file at `path`; an unreadable file is one problem."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return ThresholdConfig(problems=[ConfigProblem(0, str(path), f"cannot read: {exc}")])
    return parse(text, variables)


def locate(rule_files: Sequence[Path], settings_extra: Mapping[str, str]) -> Path | None:
    """The threshold.config a rule set uses.

    Suricata's `threshold-file` setting when given; else, as for a ruleset
    directory (agent/engines/suricata/ruleset.py), a threshold.config beside
    the first rule file.
    """
    configured = settings_extra.get(SETTING)
    if configured:
        return Path(configured)
    if not rule_files:
        return None
    beside = Path(rule_files[0]).parent / FILE_NAME
    return beside if beside.is_file() else None


class _Unsupported(RuleParseError):
    pass


def parse_entry(text: str, variables: Mapping[str, str], line: int = 0) -> Entry:
    """One entry; RuleParseError naming what is wrong."""
    m = _BASE.match(text.rstrip("\r\n"))
    if m is None:
        raise RuleParseError(f"not a threshold.config entry: {text.strip()[:80]!r}")
    kind, rest = m.group(1), m.group(4)
    gid, sid = _u32(m.group(2), "gen_id"), _u32(m.group(3), "sig_id")
    if sid > 0 and gid == 0:
        raise RuleParseError("sig_id > 0 needs gen_id > 0")
    if kind == "rate_filter":
        raise _Unsupported("rate_filter changes a rule's action: not supported")
    if kind == "suppress":
        return Entry("suppress", gid, sid, line, suppression=_suppression(rest, variables))
    return Entry("threshold", gid, sid, line, spec=_threshold_spec(rest))


def _suppression(rest: str, variables: Mapping[str, str]) -> Suppression | None:
    if not rest:
        return None
    m = _SUPPRESS.match(rest)
    if m is None:
        raise RuleParseError(f"bad suppress options {rest!r}")
    return Suppression(m.group(1), parse_addresses(m.group(2).strip(), dict(variables)))


def _threshold_spec(rest: str) -> ThresholdSpec:
    m = _THRESHOLD.match(rest)
    if m is None:
        raise RuleParseError(f"bad threshold options {rest!r}")
    kind, track, count, seconds = m.groups()
    parsed_count = _u32(count, "count")
    if parsed_count == 0:
        raise RuleParseError("count should be > 0")
    return ThresholdSpec(kind, track, parsed_count, _u32(seconds, "seconds"))


def _u32(text: str, what: str) -> int:
    value = int(text)
    if value > UINT32_MAX:
        raise RuleParseError(f"{what} {text} out of range")
    return value
