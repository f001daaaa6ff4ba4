"""Alembic migrations of the ledger's own schema (run by `duban_common.migrations.upgrade`)."""

VERSION_TABLE = "task_ledger_alembic_version"
