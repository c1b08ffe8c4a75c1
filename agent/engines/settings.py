"""Build EngineSettings from Suricata's vocabulary: a suricata.yaml, `--set`, `-k`.

Only what the engines use is read: `vars.address-groups`, `vars.port-groups`
and the checksum switch. Every other setting is accepted and ignored with a
debug log line, never an error, so that configurations written for Suricata
(the conformance cases pass theirs) load unchanged. This module does not
validate rule variables: the rule parser does, when a rule uses them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from agent.engines.base import EngineSettings
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

ADDRESS_PREFIX = "vars.address-groups."
PORT_PREFIX = "vars.port-groups."


def load_suricata_yaml(path: Path) -> dict[str, Any]:
    """Read a suricata.yaml (YAML 1.1 with Suricata's `%YAML` header)."""
    try:
        with path.open("rb") as fh:
            doc = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError("--config", f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError("--config", f"{path} is not valid YAML: {exc}") from exc
    return doc if isinstance(doc, dict) else {}


def _vars_from_yaml(doc: dict[str, Any], settings: EngineSettings) -> None:
    groups = doc.get("vars") or {}
    if not isinstance(groups, dict):
        return
    for section, target in (("address-groups", settings.address_vars),
                            ("port-groups", settings.port_vars)):
        values = groups.get(section) or {}
        if isinstance(values, dict):
            target.update({str(k): _as_text(v) for k, v in values.items()})


def _as_text(value: Any) -> str:
    # YAML turns `22` into an int and `[80, 8080]` into a list; rules want text.
    if isinstance(value, list):
        return "[" + ",".join(_as_text(v) for v in value) + "]"
    return str(value)


def apply_set(settings: EngineSettings, assignment: str) -> None:
    """Apply one `--set key=value` (Suricata's dotted setting names)."""
    key, sep, value = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError("--set", f"expected key=value, got {assignment!r}")
    if key.startswith(ADDRESS_PREFIX):
        settings.address_vars[key[len(ADDRESS_PREFIX):]] = value
    elif key.startswith(PORT_PREFIX):
        settings.port_vars[key[len(PORT_PREFIX):]] = value
    else:
        log.debug("setting %s=%s accepted and ignored", key, value)
    settings.extra[key] = value


def build_settings(
    config: Path | None = None,
    sets: Sequence[str] = (),
    checksum_mode: str | None = None,
    classification: Path | None = None,
) -> EngineSettings:
    """Settings in Suricata's precedence: yaml file, then `--set`, then `-k`."""
    settings = EngineSettings(classification_file=classification, config_file=config)
    if config is not None:
        _vars_from_yaml(load_suricata_yaml(config), settings)
    for assignment in sets:
        apply_set(settings, assignment)
    if checksum_mode is not None:
        if checksum_mode not in ("none", "all"):
            raise ConfigError("-k", f"expected 'none' or 'all', got {checksum_mode!r}")
        settings.checksum_validation = checksum_mode == "all"
    return settings
