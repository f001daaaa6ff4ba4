"""Alembic environment of the notifier, run programmatically at start-up."""

from duban_common.migrations import run_alembic_env
from notifier.adapters.tables import metadata
from notifier.migrations import VERSION_TABLE

run_alembic_env(metadata, VERSION_TABLE)
