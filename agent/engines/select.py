"""Choose and build an engine from its name.

`auto` picks Suricata when a usable one (>= 7.0) is installed, else the
builtin engine, and logs which and why. `suricata` insists on Suricata
(ConfigError when there is none); `builtin` is yamori's own Python engine.
"""

from __future__ import annotations

import logging

from agent.engines.base import Engine, EngineSettings
from agent.engines.builtin import BuiltinEngine
from agent.engines.suricata.discover import usable
from yamori.errors import ConfigError

log = logging.getLogger(__name__)

ENGINE_NAMES = ("auto", "builtin", "suricata")


def make_engine(name: str, settings: EngineSettings) -> Engine:
    """Build the engine called `name` (one of ENGINE_NAMES)."""
    if name not in ENGINE_NAMES:
        choices = ", ".join(ENGINE_NAMES)
        raise ConfigError("engine", f"unknown engine {name!r} (choose from {choices})")
    if name == "builtin":
        return BuiltinEngine(settings)
    info = usable()
    if info is None:
        if name == "suricata":
            raise ConfigError("engine", "no usable suricata (>= 7.0) is installed")
        log.info("engine auto: no usable suricata (>= 7.0); using the builtin engine")
        return BuiltinEngine(settings)
    from agent.engines.suricata.engine import SuricataEngine, SuricataEngineOptions

    log.info("engine %s: using suricata %s at %s", name, info.version_str, info.path)
    return SuricataEngine(settings, SuricataEngineOptions(binary=info.path,
                                                          overlay_config=settings.config_file))
