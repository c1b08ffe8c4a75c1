"""Assemble a ruleset directory with suricata-update, isolated from the build host.

Runs suricata-update (the Python package in yamori's environment, as an
external command) over the configured source URLs, yamori's own rules
(`--local`) and the vendor policy files, and leaves in `<work>/ruleset`:

    suricata.rules          every rule, disabled ones as `# ` comments
    classification.config   the host's, the sources' and yamori's, merged
    threshold.config        the policy's, `re:` entries expanded (or empty)

Isolation, so that two builds of the same inputs agree whatever the host has:
a fresh data directory (no cache, no enabled-source index) and TMPDIR, a
generated update.yaml (the host's /etc/suricata/update.yaml and its
enable/disable files are never read, because every policy file is passed, an
empty one when the policy has none), `--url` sources only (so suricata-update
never falls back to downloading ET Open itself), `--fail` (a source that cannot
be fetched fails the build instead of being skipped), `--no-test` (the build
runs `suricata -T` itself, rules/checks.py) and `--no-reload`. `--offline` is
not used: it would refuse any source not already in the (fresh) cache.

What this module does not do: check rules with an engine, or sign and pack.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from rules.build_config import BuildConfig
from yamori.errors import ConfigError, RuleBuildError

log = logging.getLogger(__name__)

RULES_NAME = "suricata.rules"
CLASSIFICATION_NAME = "classification.config"
THRESHOLD_NAME = "threshold.config"
OUTPUT_NAMES = frozenset({RULES_NAME, CLASSIFICATION_NAME, THRESHOLD_NAME})
POLICY_FLAGS = {"enable": "--enable-conf", "disable": "--disable-conf",
                "modify": "--modify-conf", "drop": "--drop-conf"}
# suricata-update's own summary lines ("Loaded 54916 rules.", "Disabled 6 rules." …).
_NOTE_RX = re.compile(r"<Info> -- ((?:Loaded|Disabled|Enabled|Modified|Dropped) \d+ rules.*)$")
_ERROR_RX = re.compile(r"<(?:Error|Critical)> -- (.*)$")
_WARNING_RX = re.compile(r"<Warning> -- (.*)$")


@dataclass(frozen=True, slots=True)
class Assembled:
    """What suricata-update produced: the ruleset directory, its summary and warnings."""

    ruleset_dir: Path
    notes: tuple[str, ...]
    # e.g. "Rule has unknown dest address var and will be disabled: …"
    warnings: tuple[str, ...]


def assemble(config: BuildConfig, work: Path, suricata: Path | None) -> Assembled:
    """Run suricata-update in `work` (an empty directory); return the ruleset it wrote."""
    check_inputs(config)
    out = work / "ruleset"
    command = update_command(config, work, out, suricata)
    log.debug("running %s", " ".join(command))
    try:
        done = subprocess.run(command, cwd=work, env=_environment(work), capture_output=True,
                              text=True, timeout=config.suricata_update.timeout_seconds,
                              check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuleBuildError(f"suricata-update did not finish in {exc.timeout:.0f} s") from exc
    except OSError as exc:
        raise ConfigError("suricata_update.command", f"cannot run {command[0]}: {exc}") from exc
    output = done.stdout + done.stderr
    if done.returncode != 0 or not (out / RULES_NAME).is_file():
        raise RuleBuildError(f"suricata-update failed (exit {done.returncode}): "
                             f"{_errors(output)}")
    _finish(config, out)
    assembled = Assembled(out, _matching(_NOTE_RX, output), _matching(_WARNING_RX, output))
    if assembled.warnings:
        log.warning("suricata-update: %d warning(s), listed in the build report",
                    len(assembled.warnings))
    return assembled


def _matching(pattern: re.Pattern[str], output: str) -> tuple[str, ...]:
    found = (m.group(1).strip() for m in map(pattern.search, output.splitlines()) if m)
    return tuple(dict.fromkeys(found))


def check_inputs(config: BuildConfig) -> None:
    """Every source and file the build reads exists; ConfigError naming the key otherwise."""
    if not config.sources.urls:
        raise ConfigError("sources.urls", "no source URL: set at least one (suricata-update "
                          "would otherwise download ET Open from the internet)")
    for url in config.sources.urls:
        parts = urlsplit(url)
        if parts.scheme == "file" and not Path(unquote(parts.path)).is_file():
            raise ConfigError("sources.urls", f"{url}: no such file")
    for path in config.sources.local:
        if not path.exists():
            raise ConfigError("sources.local", f"{path}: no such file or directory")
    rules_dir = config.sources.suricata_rules_dir
    if rules_dir is not None and not rules_dir.is_dir():
        raise ConfigError("sources.suricata_rules_dir", f"{rules_dir} is not a directory")
    if not config.policy.classification.is_file():
        raise ConfigError("policy.classification", f"{config.policy.classification}: no such file")
    if config.policy.threshold is not None and not config.policy.threshold.is_file():
        raise ConfigError("policy.threshold", f"{config.policy.threshold}: no such file")


def update_command(config: BuildConfig, work: Path, out: Path,
                   suricata: Path | None) -> list[str]:
    """The suricata-update command line for one isolated run (writes update.yaml into `work`)."""
    base = config.suricata_update.command or [sys.executable, "-m", "suricata.update.main"]
    words = [*base, "update", "-c", str(_update_yaml(config, work)), "-D", str(work / "data"),
             "-o", str(out), "--suricata-conf", str(config.suricata.config),
             "--no-reload", "--no-test", "--fail"]
    if suricata is not None:
        words += ["--suricata", str(suricata)]
    for url in config.sources.urls:
        words += ["--url", url]
    # The classification file as a "local" source: suricata-update merges every
    # classification.config its sources bring, ours included.
    for local in [*config.sources.local, config.policy.classification]:
        words += ["--local", str(local)]
    for kind, flag in POLICY_FLAGS.items():
        words += [flag, str(getattr(config.policy, kind) or _empty_file(work))]
    if config.policy.threshold is not None:
        words += ["--threshold-in", str(config.policy.threshold),
                  "--threshold-out", str(out / THRESHOLD_NAME)]
    return words


def _update_yaml(config: BuildConfig, work: Path) -> Path:
    rules_dir = config.sources.suricata_rules_dir
    # An empty directory stands for "no distribution rules": without the key
    # suricata-update would go looking in /etc/suricata/rules by itself.
    if rules_dir is None:
        rules_dir = work / "no-distribution-rules"
        rules_dir.mkdir(exist_ok=True)
    settings = {"sources": [], "local": [], "ignore": ["*deleted.rules"],
                "dist-rule-directory": str(rules_dir)}
    path = work / "update.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def _empty_file(work: Path) -> Path:
    path = work / "empty.conf"
    path.touch()
    return path


def _environment(work: Path) -> dict[str, str]:
    # DATA_DIRECTORY would override -D (suricata-update reads it before its
    # options); TMPDIR keeps its downloads and backups inside the build's
    # directory, removed with it.
    env = {k: v for k, v in os.environ.items() if k != "DATA_DIRECTORY"}
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    return env


def _errors(output: str) -> str:
    found = _matching(_ERROR_RX, output)
    if found:
        return "; ".join(found)
    tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
    return " / ".join(tail) or "no output"


def _finish(config: BuildConfig, out: Path) -> None:
    extra = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_NAMES)
    if extra:
        # Dataset and file-hash lists some rules load: a bundle carries only
        # rules and config files, so such a rule could never work on a box.
        raise RuleBuildError("suricata-update wrote files a rule bundle cannot carry: "
                             + ", ".join(extra))
    if not (out / CLASSIFICATION_NAME).is_file():
        # suricata-update merges classifications only when it can ask Suricata
        # for its configuration; without Suricata ours is the whole set.
        shutil.copyfile(config.policy.classification, out / CLASSIFICATION_NAME)
    if not (out / THRESHOLD_NAME).is_file():
        (out / THRESHOLD_NAME).write_text("", encoding="utf-8")
