"""Alembic environment of the ledger, run programmatically by `task_ledger.migrate`."""

from duban_common.migrations import run_alembic_env
from task_ledger.adapters.tables import metadata

VERSION_TABLE = "task_ledger_alembic_version"

run_alembic_env(metadata, VERSION_TABLE)
