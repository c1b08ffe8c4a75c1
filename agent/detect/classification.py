"""classification.config loading: classtype name -> (description, priority).

Owns reading Suricata's `config classification: name,description,priority`
lines. Names are case-insensitive; the first definition of a name wins.
The default file is rules/classification.config shipped in the package.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import rules

log = logging.getLogger(__name__)

_RX = re.compile(r"^\s*config\s+classification\s*:\s*([^,]+),([^,]*),\s*(\d+)\s*$")


def default_classification_file() -> Path:
    return Path(rules.__file__).parent / "classification.config"


def parse_classifications(text: str) -> dict[str, tuple[str, int]]:
    """Parse classification.config text; malformed lines are logged and skipped."""
    table: dict[str, tuple[str, int]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _RX.match(line)
        if m is None:
            log.warning("classification.config line %d not understood: %r", lineno, line)
            continue
        name = m.group(1).strip().lower()
        table.setdefault(name, (m.group(2).strip(), int(m.group(3))))
    return table


def load_classifications(path: Path | None = None) -> dict[str, tuple[str, int]]:
    """Load a classification file (None: the one shipped with yamori)."""
    path = path or default_classification_file()
    return parse_classifications(path.read_text(encoding="utf-8", errors="replace"))
