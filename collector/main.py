"""Building the collector's FastAPI app from a CollectorConfig.

Owns: `create_app` — opening the database (create_all for now; Alembic comes
later), per-app metrics and templates, routers, static files and the error
handlers. Does not own: running a server (cli.py) or any route's logic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from collector.api.routes import alerts, health
from collector.config import CollectorConfig
from collector.console import views
from collector.db import open_database
from collector.errors import install_error_handlers
from collector.ingest import routes as ingest
from collector.metrics import CollectorMetrics
from collector.state import AppState


def create_app(config: CollectorConfig) -> FastAPI:
    """A collector app bound to `config`'s database; tables are created if missing."""
    state = AppState(
        config=config,
        database=open_database(config.database_url),
        metrics=CollectorMetrics(),
        templates=views.make_templates(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.database.dispose()

    app = FastAPI(title="yamori collector", version="1", lifespan=lifespan)
    app.state.collector = state
    for router in (ingest.router, alerts.router, health.router, views.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=views.STATIC_DIR), name="static")
    install_error_handlers(app)
    return app
