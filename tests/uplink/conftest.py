"""Fixtures of the uplink tests: a fake collector on loopback and a fresh queue."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.buffer.store import AlertQueue
from uplink.testing import FakeCollector


@pytest.fixture
def collector() -> Iterator[FakeCollector]:
    with FakeCollector() as fake:
        yield fake


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[AlertQueue]:
    q = AlertQueue(tmp_path / "queue.db")
    yield q
    q.close()
