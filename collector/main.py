"""Building the collector's FastAPI app from a CollectorConfig.

Owns: `create_app` — opening the database (create_all for now; Alembic comes
later), per-app metrics and templates, the fleet settings, routers, static
files, the error handlers, and the lifespan (the offline detector and the
notice delivery worker run as background tasks while the app serves). Does
not own: running a server (cli.py) or any route's logic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from collector.api.routes import alerts, enrollment, health, heartbeat, sensors
from collector.auth import routes as auth
from collector.config import CollectorConfig
from collector.console import views
from collector.db import open_database
from collector.detail import routes as alert_detail
from collector.errors import install_error_handlers
from collector.fleet.admin import fleet_state
from collector.fleet.detector import run_detector
from collector.incidents import routes as incidents
from collector.ingest import routes as ingest
from collector.metrics import CollectorMetrics
from collector.notify import routes as notify_routes
from collector.notify.deliver import run_delivery_worker
from collector.notify.settings import NotifySettings
from collector.report import routes as reports
from collector.rulesets import routes as rulesets
from collector.state import AppState


def create_app(config: CollectorConfig) -> FastAPI:
    """A collector app bound to `config`'s database; tables are created if missing."""
    state = AppState(
        config=config,
        database=open_database(config.database_url),
        metrics=CollectorMetrics(),
        templates=views.make_templates(),
    )

    fleet = fleet_state(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_detector, state.database, fleet.limits,
                             config.offline_check_seconds, config.heartbeat_history_days)
            tasks.start_soon(run_delivery_worker, state.database,
                             NotifySettings.from_config(config))
            yield
            tasks.cancel_scope.cancel()
        state.database.dispose()

    app = FastAPI(title="yamori collector", version="1", lifespan=lifespan)
    app.state.collector = state
    app.state.fleet = fleet
    for router in (ingest.router, alerts.router, health.router, views.router,
                   enrollment.router, heartbeat.router, sensors.router, auth.router,
                   rulesets.router):
        app.include_router(router)
    app.include_router(alert_detail.router)
    app.include_router(incidents.router)
    app.include_router(notify_routes.router)
    app.include_router(reports.router)
    app.mount("/static", StaticFiles(directory=views.STATIC_DIR), name="static")
    install_error_handlers(app)
    return app
