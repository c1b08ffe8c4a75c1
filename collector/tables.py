"""Every module that defines collector tables, imported so that `Base.metadata` knows them all.

`open_database` (create_all) and the migrations import this module. A new
table lives in the module of the concept that owns it; add that module here.
"""

from __future__ import annotations

import collector.audit as audit
import collector.models as models
import collector.overrides as overrides

__all__ = ["audit", "models", "overrides"]
