"""Alembic migrations of the watcher's own schema (run by `duban_common.migrations.upgrade`)."""

VERSION_TABLE = "watcher_alembic_version"
