"""A ruleset on the box: a directory of rule files plus classification/threshold files.

Owns: reading such a directory (or a list of rule files), staging it as the
fixed file names the live suricata.yaml points at (every rule file merged into
one `yamori.rules`, then classification.config, threshold.config,
reference.config), and swapping a staged set into place with the previous set
kept for rollback. Fixed names matter: Suricata's reload re-reads the same
paths, so a reload never needs a new suricata.yaml. It does not validate rules
(live.py runs `suricata -T` on the staged set before it is swapped in).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from agent.engines.suricata.config import STOCK_DIR
from yamori.errors import ConfigError

RULES_NAME = "yamori.rules"
CLASSIFICATION_NAME = "classification.config"
THRESHOLD_NAME = "threshold.config"
REFERENCE_NAME = "reference.config"
SUPPORT_NAMES = (CLASSIFICATION_NAME, THRESHOLD_NAME, REFERENCE_NAME)
FILE_NAMES = (RULES_NAME, *SUPPORT_NAMES)


@dataclass(slots=True, frozen=True)
class Ruleset:
    """The files of one ruleset, wherever they are."""

    rule_files: tuple[Path, ...]
    classification: Path | None = None
    threshold: Path | None = None
    reference: Path | None = None

    def support(self) -> dict[str, Path | None]:
        return {CLASSIFICATION_NAME: self.classification, THRESHOLD_NAME: self.threshold,
                REFERENCE_NAME: self.reference}


def from_dir(path: Path) -> Ruleset:
    """Every `*.rules` in `path` (sorted) and the support files found beside them."""
    if not path.is_dir():
        raise ConfigError("engine.ruleset_dir", f"{path} is not a directory")
    rules = tuple(sorted(p for p in path.glob("*.rules") if p.is_file()))
    if not rules:
        raise ConfigError("engine.ruleset_dir", f"{path} holds no *.rules file")

    def found(name: str) -> Path | None:
        return path / name if (path / name).is_file() else None

    return Ruleset(rules, found(CLASSIFICATION_NAME), found(THRESHOLD_NAME),
                   found(REFERENCE_NAME))


def from_files(rule_files: Sequence[Path], classification: Path | None = None,
               threshold: Path | None = None) -> Ruleset:
    """A ruleset made of given files; missing support files come from beside the first."""
    files = tuple(Path(f) for f in rule_files)
    missing = [f for f in files if not f.is_file()]
    if missing or not files:
        raise ConfigError("engine.rules", f"no such rule file: {missing[0] if missing else '-'}")
    beside = files[0].parent

    def pick(given: Path | None, name: str) -> Path | None:
        return given if given is not None else (beside / name if (beside / name).is_file()
                                                else None)

    return Ruleset(files, pick(classification, CLASSIFICATION_NAME),
                   pick(threshold, THRESHOLD_NAME), pick(None, REFERENCE_NAME))


def stage(ruleset: Ruleset, target: Path) -> Path:
    """Write `ruleset` under `target` with the fixed names; returns `target`."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with (target / RULES_NAME).open("w", encoding="utf-8") as out:
        for path in ruleset.rule_files:
            out.write(f"# yamori: from {path}\n")
            text = path.read_text(encoding="utf-8", errors="replace")
            out.write(text if text.endswith("\n") or not text else text + "\n")
    for name, source in ruleset.support().items():
        fallback = STOCK_DIR / name
        if source is not None:
            shutil.copyfile(source, target / name)
        elif name != THRESHOLD_NAME and fallback.is_file():
            shutil.copyfile(fallback, target / name)
        else:
            # No thresholds is a valid threshold file; an absent file would
            # make Suricata fall back to the stock path, which we don't own.
            (target / name).write_text("", encoding="utf-8")
    return target


def install(staged: Path, live: Path, previous: Path) -> None:
    """Swap the staged files into `live`; what was live is kept in `previous`."""
    live.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(previous, ignore_errors=True)
    previous.mkdir(parents=True)
    for name in FILE_NAMES:
        if (live / name).exists():
            shutil.copy2(live / name, previous / name)
    for name in FILE_NAMES:
        # rename(2) per file: Suricata reading a path sees the old or the new file, never half.
        os.replace(staged / name, live / name)


def restore(previous: Path, live: Path) -> None:
    """Put the previous set back (after a reload Suricata refused)."""
    for name in FILE_NAMES:
        if (previous / name).exists():
            shutil.copy2(previous / name, live / f".{name}.tmp")
            os.replace(live / f".{name}.tmp", live / name)


def paths(directory: Path) -> Ruleset:
    """The staged files under `directory` as a Ruleset (for writing a suricata.yaml)."""
    return Ruleset((directory / RULES_NAME,), directory / CLASSIFICATION_NAME,
                   directory / THRESHOLD_NAME, directory / REFERENCE_NAME)
