"""What one collector app holds: its config, database, metrics and templates.

Owns: the `AppState` record kept on `app.state.collector`, so that nothing
lives in module globals and several apps can share a process. Does not own:
building it (main.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.templating import Jinja2Templates

from collector.config import CollectorConfig
from collector.db import Database
from collector.metrics import CollectorMetrics


@dataclass(slots=True)
class AppState:
    """Everything a request handler may need from its app."""

    config: CollectorConfig
    database: Database
    metrics: CollectorMetrics
    templates: Jinja2Templates
