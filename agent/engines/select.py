"""Choose and build an engine from its name.

`auto` picks Suricata when a usable one is installed; until the Suricata
engine lands it always resolves to the builtin engine, and says so.
"""

from __future__ import annotations

import logging

from agent.engines.base import Engine, EngineSettings
from agent.engines.builtin import BuiltinEngine
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

ENGINE_NAMES = ("auto", "builtin")


def make_engine(name: str, settings: EngineSettings) -> Engine:
    """Build the engine called `name` (one of ENGINE_NAMES)."""
    if name not in ENGINE_NAMES:
        raise ConfigError("engine", f"unknown engine {name!r} (choose from {', '.join(ENGINE_NAMES)})")
    if name == "auto":
        log.info("engine auto: using the builtin engine")
    return BuiltinEngine(settings)
