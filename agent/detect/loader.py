"""Rule files -> rules: comments, continuation lines, duplicates, skip reports.

Owns reading Suricata rule files (`#` comments, blank lines, a trailing
backslash continuing a rule on the next line), building the parse context
(variables with Suricata's defaults, classification.config) and Suricata's
duplicate handling: for the same gid:sid the rule with the higher rev wins,
on equal rev the first one loaded stays. Every rule not loaded is reported
by exactly one RuleParseError carrying its sid. A broken rule never stops
the others.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

from agent.detect.classification import load_classifications
from agent.detect.parse import ParseContext, parse_rule, sniff_sid
from agent.detect.rule import Rule
from agent.detect.vars import address_vars, port_vars
from agent.engines.base import EngineSettings
from yamori.errors import RuleParseError

log = logging.getLogger(__name__)


def rule_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, rule text) for each rule in a rules file."""
    pending: list[str] = []
    start = 0
    # "\n" only, like Suricata's fgets: str.splitlines() would also split on
    # \x1c-\x1e and \x85, bytes a latin-1 decoded rule may carry inside content.
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = lineno
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        yield start, "".join(pending)
        pending = []
    if pending:
        yield start, "".join(pending)


def make_context(settings: EngineSettings) -> ParseContext:
    return ParseContext(address_vars(settings), port_vars(settings),
                        load_classifications(settings.classification_file))


def load_rules(paths: Sequence[Path], settings: EngineSettings
               ) -> tuple[list[Rule], list[RuleParseError]]:
    """Parse every rule in `paths`; return the loaded rules and one error per skipped rule."""
    ctx = make_context(settings)
    kept: dict[tuple[int, int], Rule] = {}
    errors: list[RuleParseError] = []
    for path in paths:
        text = Path(path).read_text(encoding="latin-1")
        for lineno, rule_text in rule_lines(text):
            try:
                rule = parse_rule(rule_text, ctx, str(path), lineno)
            except RuleParseError as exc:
                errors.append(exc)
                continue
            _keep(kept, rule, errors)
    for err in errors:
        log.debug("%s", err.skip_line())
    return list(kept.values()), errors


def _keep(kept: dict[tuple[int, int], Rule], rule: Rule, errors: list[RuleParseError]) -> None:
    key = (rule.gid, rule.sid)
    old = kept.get(key)
    if old is None:
        kept[key] = rule
        return
    loser = old if rule.rev > old.rev else rule
    if loser is old:
        # Suricata replaces the older revision in place of the duplicate.
        del kept[key]
        kept[key] = rule
    errors.append(RuleParseError(
        f"duplicate signature gid:{rule.gid} sid:{rule.sid} (rev {loser.rev} dropped)",
        sid=loser.sid, file=loser.file, line=loser.line))


__all__ = ["load_rules", "make_context", "rule_lines", "sniff_sid"]
