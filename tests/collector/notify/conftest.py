"""Fixtures for the notifier's tests: a webhook receiver, an SMTP sink, an app.

`app` is a collector on a temporary SQLite file used in-process without its
lifespan, so no background worker runs: tests drive `deliver_pass` with their
own clock. The helpers are in collector/notify/testing.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from collector.main import create_app
from collector.notify.testing import SmtpSink, WebhookReceiver, serve_smtp, serve_webhook
from collector.testing import temp_config


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with serve_webhook() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with serve_smtp() as sink:
        yield sink


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(temp_config(tmp_path))
