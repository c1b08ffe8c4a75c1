"""Building the collector's FastAPI app from a CollectorConfig.

Owns: `create_app` — opening the database (Alembic migrations to head and
the coming months' partitions), per-app metrics and templates, the fleet settings, the live feed's
fan-out (`app.state.fanout`), routers, static files, the error handlers, and
the lifespan (the offline detector, the notice delivery worker and the
fan-out's LISTEN task run as background tasks while the app serves) — and
`app_from_env`, the import-string factory uvicorn's worker processes call
(`collector.main:app_from_env`), which loads the config named by the
environment (`YAMORI_SERVE_CONFIG`, `YAMORI_SERVE_OVERRIDES`). Does not own:
running a server (cli.py) or any route's logic.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from collector.api.routes import alerts, enrollment, health, heartbeat, sensors
from collector.auth import routes as auth
from collector.config import CollectorConfig, load_config
from collector.console import admin as console_admin
from collector.console import customer as console_customer
from collector.console import incidents as console_incidents
from collector.console import sensor_board as console_sensors
from collector.console import views
from collector.db import open_database
from collector.detail import routes as alert_detail
from collector.errors import install_error_handlers
from collector.fanout import AlertFanout
from collector.fleet.admin import fleet_state
from collector.fleet.detector import run_detector
from collector.incidents import routes as incidents
from collector.ingest import routes as ingest
from collector.metrics import CollectorMetrics
from collector.notify import routes as notify_routes
from collector.notify.deliver import run_delivery_worker
from collector.notify.settings import NotifySettings
from collector.report import routes as reports
from collector.retention import run_store_maintenance
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
    fanout = AlertFanout.for_database(config.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_detector, state.database, fleet.limits,
                             config.offline_check_seconds, config.heartbeat_history_days)
            tasks.start_soon(run_delivery_worker, state.database,
                             NotifySettings.from_config(config))
            tasks.start_soon(fanout.run)
            # Partitions for the coming months and retention, hourly.
            tasks.start_soon(run_store_maintenance, state.database, config)
            yield
            tasks.cancel_scope.cancel()
        state.database.dispose()

    app = FastAPI(title="yamori collector", version="1", lifespan=lifespan)
    app.state.collector = state
    app.state.fleet = fleet
    app.state.fanout = fanout
    for router in (ingest.router, alerts.router, health.router, views.router,
                   enrollment.router, heartbeat.router, sensors.router, auth.router,
                   rulesets.router):
        app.include_router(router)
    app.include_router(alert_detail.router)
    app.include_router(incidents.router)
    app.include_router(notify_routes.router)
    app.include_router(reports.router)
    app.include_router(console_incidents.router)
    app.include_router(console_sensors.router)
    app.include_router(console_customer.router)
    app.include_router(console_admin.router)
    app.mount("/static", StaticFiles(directory=views.STATIC_DIR), name="static")
    install_error_handlers(app)
    return app


# Set by `yamori collector serve --workers N` for the worker processes it spawns.
CONFIG_ENV = "YAMORI_SERVE_CONFIG"
OVERRIDES_ENV = "YAMORI_SERVE_OVERRIDES"


def app_from_env() -> FastAPI:
    """A collector app for the config named by the environment (uvicorn `factory=True`).

    `YAMORI_SERVE_CONFIG` is the TOML file (optional) and `YAMORI_SERVE_OVERRIDES`
    a JSON object of command-line overrides; `YAMORI_COLLECTOR_<KEY>` applies as usual.
    """
    path = os.environ.get(CONFIG_ENV)
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")
    return create_app(load_config(Path(path) if path else None, overrides))
