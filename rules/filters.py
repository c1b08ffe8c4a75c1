"""Check the vendor's policy files (enable/disable/drop/modify.conf) before a build uses them.

suricata-update reads these files itself; this module only parses every line
with suricata-update's own matcher and filter parsers, so that the grammar is
exactly the one the build will apply. The difference is what happens to a bad
line: suricata-update warns and builds without it (a rule the vendor meant to
switch off would quietly ship on), here it is a ConfigError naming the config
key, the file and the line. Applying the filters is suricata-update's job, not
this module's.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suricata.update import matchers

from yamori.errors import ConfigError


def _parse_matcher(line: str) -> Any:
    return matchers.parse_rule_match(line)


def _parse_modify(line: str) -> Any:
    if line.startswith("metadata-add"):
        return matchers.AddMetadataFilter.parse(line)
    return matchers.ModifyRuleFilter.parse(line)


# Policy key -> the parser suricata-update applies to that file's lines.
PARSERS: dict[str, Callable[[str], Any]] = {
    "enable": _parse_matcher,
    "disable": _parse_matcher,
    "drop": _parse_matcher,
    "modify": _parse_modify,
}


def filter_lines(text: str) -> list[tuple[int, str]]:
    """(line number, filter) for each filter line, as suricata-update cuts them."""
    found = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # suricata-update drops a trailing " # comment" the same way.
        found.append((lineno, line.rsplit(" #")[0].strip()))
    return found


def check_filter_file(kind: str, path: Path) -> int:
    """Parse `path` as a `kind` policy file; return its number of filters.

    Raises ConfigError (key `policy.<kind>`) for an unreadable file or the first
    line suricata-update would not understand.
    """
    key = f"policy.{kind}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(key, f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"{path} is not UTF-8 text: {exc}") from exc
    lines = filter_lines(text)
    for lineno, line in lines:
        if _parses(PARSERS[kind], line) is None:
            raise ConfigError(key, f"{path}:{lineno}: suricata-update cannot parse {line!r}")
    return len(lines)


def _parses(parser: Callable[[str], Any], line: str) -> Any:
    # The metadata matcher print()s what it parses; keep our stdout clean.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return parser(line)
        except Exception:  # suricata-update signals a bad filter with a bare Exception
            return None
