"""Alembic environment: runs on the connection collector/migrate.py hands over.

Owns: binding Alembic to `collector.tables`' metadata (every table), batch
mode on SQLite (ALTER TABLE there is copy-and-swap) and the comparison
options autogenerate uses. Does not own: which revision to go to
(collector/migrate.py) or what a revision does (versions/).
"""

from __future__ import annotations

from alembic import context

import collector.tables  # noqa: F401  (registers every table on Base.metadata)
from collector.migrate import include_object
from collector.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate on `config.attributes["connection"]`, which the caller owns and commits."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("collector migrations run online only (collector/migrate.py)")
run_migrations_online()
