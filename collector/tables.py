"""Every module that defines collector tables, imported so that `Base.metadata` knows them all.

The migrations (collector/migrations, run by `open_database`) import this module. A new
table lives in the module of the concept that owns it; add that module here,
and add a migration revision (`collector.migrate.new_revision`): `open_database`
no longer runs create_all, and tests/collector/store checks models == migrations.
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
