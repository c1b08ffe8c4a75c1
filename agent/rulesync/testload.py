"""Test-load an extracted bundle before it may run: `suricata -T`, or a builtin engine.

Owns the verdict "this ruleset loads well enough to replace the running
one", as a BundleError naming the first reason when it does not:

- Suricata: the bundle's rules, classification, reference and threshold
  files in a suricata.yaml written like the agent's own
  (agent/engines/suricata/config.py), checked with `suricata -T`
  (agent/engines/suricata/replay.py). The vendor validated the bundle with
  the same Suricata, so any rule it rejects here is a refusal.
- builtin: a separate BuiltinEngine instance loads the bundle (the running
  engine is untouched); it must load at least one rule, the fraction of
  rules it honours must not fall below half the running bundle's, and
  every threshold.config line must parse.

It does not swap anything in and does not know where bundles come from.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agent.detect import threshold_config
from agent.detect.vars import address_vars
from agent.engines.base import EngineSettings
from agent.engines.builtin import BuiltinEngine
from agent.engines.suricata import replay
from agent.engines.suricata import ruleset as rs
from agent.engines.suricata.config import STOCK_CONFIG, SuricataOptions, write_config
from yamori.errors import BundleError, ConfigError

# A bundle may not make the builtin engine honour less than this share of
# what it honoured in the running bundle (e.g. 40% -> at least 20%).
MIN_HONOURED_RATIO = 0.5


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """How a bundle loaded in the test."""

    loaded: int
    skipped: int

    @property
    def honoured(self) -> float:
        total = self.loaded + self.skipped
        return self.loaded / total if total else 0.0


class TestLoader(Protocol):
    def check(self, bundle_dir: Path, baseline: LoadCheck | None) -> LoadCheck:
        """Load the ruleset in `bundle_dir`; BundleError when it must not run.

        `baseline` is how the running bundle loaded (None when no bundle runs).
        """
        ...


class BuiltinTestLoad:
    """Loads a bundle into a fresh BuiltinEngine with the agent's settings."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings

    def check(self, bundle_dir: Path, baseline: LoadCheck | None) -> LoadCheck:
        ruleset = rs.from_dir(bundle_dir)
        settings = dataclasses.replace(self.settings, extra=_without_threshold(self.settings))
        _check_thresholds(ruleset.threshold, settings)
        report = BuiltinEngine(settings).load_rules(list(ruleset.rule_files))
        result = LoadCheck(report.loaded, len(report.skipped))
        if result.loaded == 0:
            raise BundleError(f"builtin engine loads none of the bundle's {result.skipped} rules")
        if baseline is not None and result.honoured < baseline.honoured * MIN_HONOURED_RATIO:
            raise BundleError(
                f"builtin engine would honour {result.honoured:.0%} of the bundle's rules, "
                f"under half of the running bundle's {baseline.honoured:.0%}")
        return result


def _without_threshold(settings: EngineSettings) -> dict[str, str]:
    # The bundle's own threshold.config, not one a --set pointed at.
    return {k: v for k, v in settings.extra.items() if k != threshold_config.SETTING}


def _check_thresholds(path: Path | None, settings: EngineSettings) -> None:
    if path is None:
        return
    config = threshold_config.load(path, address_vars(settings))
    errors = [p for p in config.problems if not p.unsupported]
    if errors:
        raise BundleError(f"builtin engine: {errors[0]}")


class SuricataTestLoad:
    """`suricata -T` on a bundle, with the agent's engine settings and base config."""

    def __init__(self, binary: Path | str, settings: EngineSettings,
                 base_config: Path = STOCK_CONFIG, workdir: Path | None = None) -> None:
        self.binary = binary
        self.settings = settings
        self.base_config = base_config
        self.workdir = workdir

    def check(self, bundle_dir: Path, baseline: LoadCheck | None) -> LoadCheck:
        ruleset = rs.from_dir(bundle_dir)
        work = Path(tempfile.mkdtemp(prefix="yamori-testload-", dir=self.workdir))
        try:
            return self._test(ruleset, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _test(self, ruleset: rs.Ruleset, work: Path) -> LoadCheck:
        settings = dataclasses.replace(self.settings, classification_file=ruleset.classification
                                       or self.settings.classification_file)
        options = SuricataOptions(
            log_dir=work / "log", rule_files=list(ruleset.rule_files),
            base_config=self.base_config, reference_config=ruleset.reference,
            threshold_file=ruleset.threshold or _empty_thresholds(work))
        config = write_config(settings, options, work / "suricata.yaml")
        try:
            result = replay.test_load(self.binary, config, work / "log", settings)
        except ConfigError as exc:
            raise BundleError(f"suricata -T: {_detail(str(exc))}") from exc
        if result.failed:
            first = result.failed[0]
            raise BundleError(f"suricata -T: rule sid:{first.sid} rejected: {first} "
                              f"({len(result.failed)} rule(s) failed)")
        loaded = result.loaded if result.loaded is not None else 0
        return LoadCheck(loaded, 0)


def _empty_thresholds(work: Path) -> Path:
    # No thresholds is a valid threshold file; without one Suricata would read
    # the stock /etc/suricata/threshold.config, which is not the bundle's.
    path = work / rs.THRESHOLD_NAME
    path.write_text("", encoding="utf-8")
    return path


def _detail(message: str) -> str:
    # "config key 'suricata.config': suricata -T failed: E: x; E: y" -> "E: x"
    text = message.split("suricata -T failed:", 1)[-1].strip()
    return text.split("; ")[0][:300]
