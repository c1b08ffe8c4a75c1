"""Fixtures shared across the test tree.

`pg_url`: a database URL on the PostgreSQL server at 127.0.0.1:5432
(database `test`, trust auth) in a schema of its own, dropped afterwards;
skips when no driver is installed or the server does not answer.

`_drop_test_schemas` (session, automatic): drops the PostgreSQL schemas that
collector.testing.fresh_database_url made when the collector tests run on
PostgreSQL (YAMORI_TEST_DATABASE=postgresql).

`veth`: a veth pair whose far end lives in a network namespace made for the
test. Traffic injected inside that namespace arrives only on the outer end
(which has no address), so live-capture tests never send anything beyond
their own link. The pair and the namespace are removed afterwards. Tests that
use it need root and iproute2 and mark themselves to skip otherwise.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import uuid
from collections.abc import Iterator
from typing import NamedTuple

import pytest

_serial = itertools.count()


class Veth(NamedTuple):
    ns: str  # the namespace holding `inner`
    outer: str  # the capture-side end, in this namespace
    inner: str  # the traffic-side end, inside `ns`


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_file: the test reads the SQLite file, so it stays on SQLite "
                   "when YAMORI_TEST_DATABASE=postgresql")


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    yield
    if os.environ.get("YAMORI_TEST_DATABASE", "").strip().lower() == "postgresql":
        from collector.testing import drop_test_schemas

        drop_test_schemas()


@pytest.fixture
def veth() -> Iterator[Veth]:
    tag = f"{os.getpid() % 100000}{next(_serial)}"  # interface names: <= 15 chars
    pair = Veth(f"ymr-ns{tag}", f"ymro{tag}", f"ymri{tag}")
    _ip("netns", "add", pair.ns)
    try:
        _ip("link", "add", pair.outer, "type", "veth", "peer", "name", pair.inner)
        _ip("link", "set", pair.inner, "netns", pair.ns)
        _ip("link", "set", pair.outer, "up")
        _ip("-n", pair.ns, "link", "set", pair.inner, "up")
        yield pair
    finally:
        subprocess.run(["ip", "link", "del", pair.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", pair.ns], capture_output=True)


def _pg_dialect() -> str | None:
    for module, dialect in (("psycopg", "postgresql+psycopg"), ("psycopg2", "postgresql+psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return dialect
    return None


@pytest.fixture
def pg_url() -> Iterator[str]:
    dialect = _pg_dialect()
    if dialect is None:
        pytest.skip("no PostgreSQL driver installed (want psycopg[binary]>=3.1)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    base = f"{dialect}://postgres@127.0.0.1:5432/test"
    schema = f"yamori_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 not reachable: {exc}")
    yield f"{base}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
