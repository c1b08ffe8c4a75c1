"""Alembic migrations of the collector schema (run from collector/migrate.py; no alembic.ini)."""
