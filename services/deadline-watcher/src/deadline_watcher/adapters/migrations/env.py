"""Alembic environment of the watcher, run by `duban_common.migrations.upgrade`."""

from deadline_watcher.adapters.migrations import VERSION_TABLE
from deadline_watcher.adapters.tables import metadata
from duban_common.migrations import run_alembic_env

run_alembic_env(metadata, VERSION_TABLE)
