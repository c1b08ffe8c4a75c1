"""Check an assembled ruleset with both engines before it is signed.

Suricata: `suricata -T` on the configuration a box would run (the agent's own
suricata.yaml writer and test-load helpers, agent/engines/suricata), with the
ruleset's classification and threshold files. Any rule Suricata refuses fails
the build with every refused rule named: a bundle that ships is one Suricata
loads whole.

Builtin engine: loads the same rules with agent/detect's loader and reports
what it cannot honour (counts by reason and the list). This never fails the
build: builtin-engine boxes skip those rules, and the report says which.

What this module does not do: assemble or pack the ruleset.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.detect.loader import load_rules
from agent.engines.base import EngineSettings
from agent.engines.suricata.config import SuricataOptions, write_config
from agent.engines.suricata.replay import test_load
from agent.engines.suricata.rulelog import RuleLoadLog
from rules.assemble import CLASSIFICATION_NAME, RULES_NAME, THRESHOLD_NAME
from yamori.errors import RuleBuildError, RuleParseError

# How many refused rules the error message spells out (all are in `rejected`).
_NAMED_IN_MESSAGE = 20


def suricata_test(ruleset_dir: Path, suricata: Path, base_config: Path,
                  work: Path) -> RuleLoadLog:
    """`suricata -T` the ruleset; RuleBuildError naming each rule Suricata refuses."""
    settings = EngineSettings(classification_file=ruleset_dir / CLASSIFICATION_NAME)
    log_dir = work / "suricata-test"
    options = SuricataOptions(log_dir=log_dir, rule_files=[ruleset_dir / RULES_NAME],
                              base_config=base_config,
                              threshold_file=ruleset_dir / THRESHOLD_NAME)
    config = write_config(settings, options, work / "suricata-test.yaml")
    result = test_load(suricata, config, log_dir, settings)
    if result.failed:
        raise RuleBuildError(_refusal(result.failed), rejected=result.failed)
    return result


def _refusal(failed: list[RuleParseError]) -> str:
    named = "; ".join(_describe(err) for err in failed[:_NAMED_IN_MESSAGE])
    more = len(failed) - _NAMED_IN_MESSAGE
    tail = f"; and {more} more" if more > 0 else ""
    return f"suricata -T refused {len(failed)} rule(s): {named}{tail}"


def _describe(err: RuleParseError) -> str:
    where = f"{Path(err.file).name}:{err.line}" if err.file else "?"
    return f"sid:{err.sid if err.sid is not None else '?'} ({where}): {err}"


@dataclass(frozen=True, slots=True)
class SkippedRule:
    """One rule the builtin engine skips, and why."""

    sid: int | None
    line: int | None
    reason: str  # the group it is counted under, e.g. "unsupported keyword 'pcre'"
    detail: str  # the loader's full message

    def to_dict(self) -> dict[str, Any]:
        return {"sid": self.sid, "line": self.line, "reason": self.reason,
                "detail": self.detail}


@dataclass(frozen=True, slots=True)
class BuiltinReport:
    """What the builtin engine makes of a ruleset."""

    loaded: int
    skipped: tuple[SkippedRule, ...]

    def by_reason(self) -> dict[str, int]:
        """Skipped rules per reason, most frequent first."""
        return dict(Counter(s.reason for s in self.skipped).most_common())

    def to_dict(self) -> dict[str, Any]:
        return {"loaded": self.loaded, "skipped": len(self.skipped),
                "by_reason": self.by_reason(),
                "skipped_rules": [s.to_dict() for s in self.skipped]}


def builtin_report(ruleset_dir: Path) -> BuiltinReport:
    """Load the ruleset in the builtin engine; report every rule it skips."""
    settings = EngineSettings(classification_file=ruleset_dir / CLASSIFICATION_NAME)
    rules, errors = load_rules([ruleset_dir / RULES_NAME], settings)
    return BuiltinReport(len(rules), tuple(_skipped(err) for err in errors))


def _skipped(err: RuleParseError) -> SkippedRule:
    return SkippedRule(err.sid, err.line, skip_reason(err), str(err))


def skip_reason(err: RuleParseError) -> str:
    """The reason a skipped rule is counted under: a keyword, a duplicate, or a parse error."""
    if err.unsupported is not None:
        return f"unsupported keyword '{err.unsupported}'"
    if str(err).startswith("duplicate signature"):
        return "duplicate signature"
    return "parse error"
