"""yamori's shipped rule data: its own rules (local/*.rules) and classification.config.

The vendor side lives beside it: build.py (`yamori rules build`: suricata-update,
`suricata -T`, the builtin engine's report, a signed bundle), bundle.py (the
bundle format), publish.py (`yamori rules publish/promote/...`) and cli.py.
This module only locates the shipped files.
"""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent


def shipped_rule_files() -> list[Path]:
    """yamori's own rule files, in a stable order."""
    return sorted((RULES_DIR / "local").glob("*.rules"))


def classification_file() -> Path:
    return RULES_DIR / "classification.config"
