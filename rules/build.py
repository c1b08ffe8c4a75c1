"""`yamori rules build`, the vendor side: sources + policy -> checked, signed rule bundle.

One build, in order (the first failure stops it, and no bundle is written):

    1. signing key and version         rules/keys.py, rules/versioning.py
    2. policy files parse               rules/filters.py
    3. suricata-update assembles        rules/assemble.py
    4. `suricata -T` accepts every rule rules/checks.py
    5. builtin engine report            rules/checks.py (reports, never fails)
    6. pack and sign                    rules/bundle.py
    7. report next to the bundle        <bundle>.report.json

The work happens in a temporary directory that is removed afterwards; only
the bundle and its report reach the output directory. What this module does
not do: publish bundles (rules/publish.py) or parse the command line
(rules/cli.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from agent.engines.suricata.discover import find_binary
from agent.engines.suricata.rulelog import RuleLoadLog
from rules.assemble import RULES_NAME, assemble
from rules.build_config import BuildConfig
from rules.bundle import Manifest, load_private_key, pack
from rules.checks import BuiltinReport, builtin_report, suricata_test
from rules.filters import check_filter_file
from rules.versioning import bundle_path, next_version, report_path
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

_RULE_ACTIONS = ("alert", "drop", "pass", "reject", "rejectsrc", "rejectdst", "rejectboth")


@dataclass(frozen=True, slots=True)
class RuleTotals:
    """Rule lines in the built ruleset: enabled, and disabled (shipped as comments)."""

    enabled: int
    disabled: int

    @property
    def total(self) -> int:
        return self.enabled + self.disabled


@dataclass(frozen=True, slots=True)
class BuildResult:
    """One finished build: where its bundle and report are, and what went into it."""

    bundle: Path
    report: Path
    manifest: Manifest
    rules: RuleTotals
    suricata_loaded: int | None  # from `suricata -T`; None when the test was skipped
    builtin: BuiltinReport
    update_notes: tuple[str, ...]  # suricata-update's summary lines
    update_warnings: tuple[str, ...]
    seconds: float
    phase_seconds: dict[str, float]

    @property
    def version(self) -> str:
        return self.manifest.version


def build_ruleset(config: BuildConfig, *, version: str | None = None,
                  now: datetime | None = None) -> BuildResult:
    """Build, check, sign and write one bundle (see the module docstring)."""
    started = time.monotonic()
    key = _signing_key(config)
    suricata = _suricata(config)
    out_dir = config.output.dir
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    version = next_version(out_dir, config.output.name, now, version)
    _check_policy(config)
    phases = _Stopwatch()
    with tempfile.TemporaryDirectory(prefix="yamori-rules-build-") as tmp:
        work = Path(tmp)
        with phases("suricata_update"):
            assembled = assemble(config, work, suricata)
        ruleset = assembled.ruleset_dir
        load_log = None
        if config.suricata.test and suricata is not None:
            with phases("suricata_test"):
                load_log = suricata_test(ruleset, suricata, config.suricata.config, work)
        with phases("builtin_load"):
            builtin = builtin_report(ruleset)
        totals = count_rule_lines((ruleset / RULES_NAME).read_text("utf-8"))
        bundle = bundle_path(out_dir, config.output.name, version)
        with phases("pack"):
            manifest = pack(ruleset, bundle, version, key, now=now)
    result = BuildResult(bundle, report_path(bundle), manifest, totals, _loaded(load_log),
                         builtin, assembled.notes, assembled.warnings,
                         round(time.monotonic() - started, 3),
                         dict(phases.seconds))
    _write_report(result, config)
    log.info("built rule bundle %s: %d rules, %d enabled", bundle.name, totals.total,
             totals.enabled)
    return result


class _Stopwatch:
    """Seconds spent per named phase, for the report (where does a slow build go?)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.seconds[phase] = round(time.monotonic() - start, 3)


def _signing_key(config: BuildConfig) -> Ed25519PrivateKey:
    if config.signing.key is None:
        raise ConfigError("signing.key", "no signing key: set it or pass --key "
                          "(`yamori rules keygen` makes one)")
    return load_private_key(config.signing.key)


def _suricata(config: BuildConfig) -> Path | None:
    found = find_binary(config.suricata.binary)
    if found is None and config.suricata.test:
        raise ConfigError("suricata.binary", f"no Suricata at {config.suricata.binary!r}: "
                          "install it, or skip the check (--skip-suricata-test)")
    return found


def _check_policy(config: BuildConfig) -> None:
    for kind in ("enable", "disable", "drop", "modify"):
        path = getattr(config.policy, kind)
        if path is not None:
            check_filter_file(kind, path)


def count_rule_lines(text: str) -> RuleTotals:
    """Enabled rules and rules disabled as `# <action> …` comments, in a rules file."""
    enabled = disabled = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            enabled += 1
        elif line.lstrip("# ").startswith(_RULE_ACTIONS) and "sid:" in line:
            disabled += 1
    return RuleTotals(enabled, disabled)


def _loaded(load_log: RuleLoadLog | None) -> int | None:
    return None if load_log is None else load_log.loaded


def report_dict(result: BuildResult, config: BuildConfig) -> dict[str, Any]:
    """The JSON build report: inputs, rule counts, both engines' verdicts."""
    return {
        "bundle": result.bundle.name,
        "manifest": result.manifest.to_dict(),
        "sources": {"urls": config.sources.urls,
                    "local": [str(p) for p in config.sources.local]},
        "rules": {"total": result.rules.total, "enabled": result.rules.enabled,
                  "disabled": result.rules.disabled},
        "suricata_update": {"notes": list(result.update_notes),
                            "warnings": list(result.update_warnings)},
        "suricata_test": {"run": result.suricata_loaded is not None,
                          "loaded": result.suricata_loaded},
        "builtin": result.builtin.to_dict(),
        "build_seconds": result.seconds,
        "phase_seconds": result.phase_seconds,
    }


def _write_report(result: BuildResult, config: BuildConfig) -> None:
    text = json.dumps(report_dict(result, config), indent=1, ensure_ascii=False) + "\n"
    tmp = result.report.with_name(f".{result.report.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, result.report)
