"""yamori's shipped rule data: its own rules (local/*.rules) and classification.config.

The vendor-side ruleset build (suricata-update, signed bundles) comes later and
lives beside this; this module only locates the shipped files.
"""

from __future__ import annotations

from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent


def shipped_rule_files() -> list[Path]:
    """yamori's own rule files, in a stable order."""
    return sorted((RULES_DIR / "local").glob("*.rules"))


def classification_file() -> Path:
    return RULES_DIR / "classification.config"
