"""Small lookups the console pages need besides the API's own queries.

Owns: the tenants the collector knows (every tenant with an enrolled
sensor: the filter forms' suggestions and the customer view's picker) and
the current user's saved filters as plain dicts. Does not own: the feed,
incident or sensor queries (collector/repo, collector/incidents).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.incidents.filters import saved_filters
from collector.models import Sensor


def known_tenants(session: Session) -> list[str]:
    """Every tenant that has a sensor, sorted."""
    return list(session.scalars(select(Sensor.tenant).distinct().order_by(Sensor.tenant)))


def tenant_known(session: Session, tenant: str) -> bool:
    """Whether any sensor belongs to `tenant`."""
    return session.scalar(select(Sensor.sensor_id).where(Sensor.tenant == tenant).limit(1)) \
        is not None


def saved_filter_options(session: Session, username: str) -> list[dict[str, Any]]:
    """The user's saved filters as {id, name, query}, by name."""
    return [{"id": f.id, "name": f.name, "query": f.query}
            for f in saved_filters(session, username)]
