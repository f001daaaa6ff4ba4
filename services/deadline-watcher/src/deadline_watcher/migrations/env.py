"""Alembic environment of the watcher, run programmatically by `deadline_watcher.migrations`."""

from deadline_watcher.adapters.tables import metadata
from deadline_watcher.migrations import VERSION_TABLE
from duban_common.migrations import run_alembic_env

run_alembic_env(metadata, VERSION_TABLE)
