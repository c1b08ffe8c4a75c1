"""Revisions of the collector schema, oldest first (a package so that installs carry them)."""
