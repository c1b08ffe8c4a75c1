"""SQL expressions the report needs that SQLite and PostgreSQL spell differently.

Owns: `epoch_seconds(column)` (a timestamp column as epoch seconds, so that
gaps between heartbeats are subtracted in the database) and
`json_text(column, key)` (one top-level key of a JSON text column, as text).
Both compile for SQLite and PostgreSQL only, the collector's two stores; any
other dialect is refused when the statement is compiled. Does not own: queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String, literal
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[float]):  # noqa: N801 (SQL function style)
    """Seconds since 1970-01-01 UTC of a timestamp column stored in UTC."""

    type = Float()
    name = "epoch_seconds"
    inherit_cache = True


class json_text(FunctionElement[str]):  # noqa: N801
    """A top-level key of a JSON text column, as text (NULL when absent)."""

    type = String()
    name = "json_text"
    inherit_cache = True

    def __init__(self, column: Any, key: str) -> None:
        # The key travels as a bound parameter: part of the statement, so of its cache key.
        super().__init__(column, literal(key, String()))


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps timestamps as ISO text; julianday() reads them (day 2440587.5 is 1970-01-01).
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # EXTRACT answers numeric on PostgreSQL 14+: a float is what the report does arithmetic on.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


@compiles(json_text, "sqlite")
def _json_sqlite(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"json_extract({column}, '$.' || {key})"


@compiles(json_text, "postgresql")
def _json_postgresql(element: json_text, compiler: SQLCompiler, **kw: Any) -> str:
    column, key = (compiler.process(c, **kw) for c in element.clauses.clauses)
    return f"(CAST({column} AS JSON) ->> CAST({key} AS TEXT))"


@compiles(epoch_seconds)
@compiles(json_text)
def _unsupported(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"{element.name}: the report supports SQLite and PostgreSQL only, "
                       f"not {compiler.dialect.name}")
