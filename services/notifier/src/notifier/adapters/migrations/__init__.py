"""Alembic migrations of the notifier's own schema (run by `duban_common.migrations.upgrade`)."""

VERSION_TABLE = "notifier_alembic_version"
