"""Alembic environment of the ledger, run by `duban_common.migrations.upgrade`."""

from duban_common.migrations import run_alembic_env
from task_ledger.adapters.migrations import VERSION_TABLE
from task_ledger.adapters.tables import metadata

run_alembic_env(metadata, VERSION_TABLE)
