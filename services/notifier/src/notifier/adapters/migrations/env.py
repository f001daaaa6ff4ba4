"""Alembic environment of the notifier, run by `duban_common.migrations.upgrade`."""

from duban_common.migrations import run_alembic_env
from notifier.adapters.migrations import VERSION_TABLE
from notifier.adapters.tables import metadata

run_alembic_env(metadata, VERSION_TABLE)
