"""Every module that defines collector tables, imported so that `Base.metadata` knows them all.

`open_database` (create_all) and the migrations import this module. A new
table lives in the module of the concept that owns it; add that module here.
"""

from __future__ import annotations

import collector.audit as audit
import collector.auth.models as auth
import collector.incidents.models as incidents
import collector.models as models
import collector.notify.models as notify
import collector.overrides as overrides
import collector.rulesets.models as rulesets

__all__ = ["audit", "auth", "incidents", "models", "notify", "overrides", "rulesets"]
