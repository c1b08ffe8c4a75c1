"""Several real collector processes on one database (SQLite file or PostgreSQL schema).

`backend_url` is parametrized over both stores (PostgreSQL skips where the
server does not answer, as `pg_url` does). `Cluster` prepares the schema,
enrolls sensors and starts `yamori collector serve` processes on loopback,
each on its own free port, all stopped (SIGKILL) at the end of the test.
Tests reach everything through the `make_cluster` fixture (test files do not
import each other or this file).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from collector.db import Database, open_database
from collector.models import Alert
from collector.repo.sensors import create_sensor

ADMIN_TOKEN = "scale-test-admin-token"
YAMORI = Path(sys.executable).with_name("yamori")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'collector.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """One `yamori collector serve` process (or uvicorn supervisor, with workers)."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Cluster:
    """Collector processes sharing `url`'s database, configured by `settings`."""

    tmp_path: Path
    url: str
    settings: dict[str, Any]
    database: Database = field(init=False)
    processes: list[Process] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Create the tables once, before processes race to create them.
        self.database = open_database(self.url)
        (self.tmp_path / "admin.token").write_text(ADMIN_TOKEN + "\n", encoding="utf-8")

    def enroll(self, sensor_id: str, tenant: str = "tanaka-kogyo") -> str:
        with self.database.session() as session:
            return create_sensor(session, sensor_id, tenant, sensor_id)

    def start(self, name: str, workers: int = 1) -> Process:
        config = self.tmp_path / f"{name}.toml"
        values = {"database_url": self.url, "log_level": "WARNING",
                  "admin_token_file": str(self.tmp_path / "admin.token"), **self.settings}
        config.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in values.items()),
                          encoding="utf-8")
        port = free_port()
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as sink:
            popen = subprocess.Popen(
                [str(YAMORI), "collector", "serve", "--config", str(config), "--port",
                 str(port), "--workers", str(workers)],
                stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        process = Process(name, popen, f"http://127.0.0.1:{port}", log)
        self.processes.append(process)
        _wait_healthy(process)
        return process

    def count(self, sid: int, sensor_id: str) -> int:
        """Stored alerts of `sid` from `sensor_id`."""
        with self.database.session() as session:
            return int(session.scalar(select(func.count()).select_from(Alert).where(
                Alert.signature_id == sid, Alert.sensor_id == sensor_id)) or 0)

    admin_headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @staticmethod
    def sensor_headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    def wait_until(check: Any, timeout: float, step: float = 0.1) -> bool:
        """Poll `check()` until true or `timeout` seconds pass; returns its last answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(step)
        return bool(check())

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
        self.database.dispose()


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _wait_healthy(process: Process, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"collector {process.name} exited:\n{process.log.read_text()}")
        try:
            if httpx.get(process.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"collector {process.name} not healthy in {timeout} s:\n"
                       f"{process.log.read_text()}")


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Any]:
    made: list[Cluster] = []

    def make(url: str, **settings: Any) -> Cluster:
        cluster = Cluster(tmp_path, url, settings)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.stop()

