"""Choose and build an engine from its name.

`auto` picks Suricata when a usable one (>= 7.0) is installed, else the
builtin engine, and logs which and why. `suricata` insists on Suricata
(ConfigError when there is none); `builtin` is yamori's own Python engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.engines.base import Engine, EngineSettings
from agent.engines.builtin import BuiltinEngine
from agent.engines.suricata.discover import SuricataInfo, usable
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

ENGINE_NAMES = ("auto", "builtin", "suricata")


@dataclass(slots=True, frozen=True)
class EngineChoice:
    """Which engine was chosen, from what was asked, and why (logged and sent upstream)."""

    requested: str
    engine: str
    reason: str
    suricata: SuricataInfo | None = None

    def as_dict(self) -> dict[str, Any]:
        info = self.suricata
        return {"requested": self.requested, "engine": self.engine, "reason": self.reason,
                "suricata_version": info.version_str if info else None,
                "suricata_path": str(info.path) if info else None}


def choose_engine(name: str, binary: str | Path | None = None) -> EngineChoice:
    """Decide the engine for `name` (one of ENGINE_NAMES) and log the decision."""
    if name not in ENGINE_NAMES:
        choices = ", ".join(ENGINE_NAMES)
        raise ConfigError("engine", f"unknown engine {name!r} (choose from {choices})")
    if name == "builtin":
        return EngineChoice(name, "builtin", "configured")
    info = usable(binary)
    if info is None:
        if name == "suricata":
            raise ConfigError("engine", "no usable suricata (>= 7.0) is installed")
        choice = EngineChoice(name, "builtin", "no usable suricata (>= 7.0) installed")
    else:
        choice = EngineChoice(name, "suricata",
                              f"suricata {info.version_str} at {info.path}", info)
    log.info("engine %s: using %s (%s)", name, choice.engine, choice.reason)
    return choice


def build_engine(choice: EngineChoice, settings: EngineSettings) -> Engine:
    """The engine a choice names."""
    if choice.engine == "builtin" or choice.suricata is None:
        return BuiltinEngine(settings)
    from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions

    return SuricataEngine(settings, SuricataEngineOptions(binary=choice.suricata.path,
                                                          overlay_config=settings.config_file))


def make_engine(name: str, settings: EngineSettings) -> Engine:
    """Build the engine called `name` (one of ENGINE_NAMES)."""
    return build_engine(choose_engine(name), settings)
