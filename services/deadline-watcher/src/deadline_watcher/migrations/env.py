"""Alembic environment: a synchronous connection to the watcher's database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from deadline_watcher.adapters.tables import metadata
from deadline_watcher.migrations import VERSION_TABLE

config = context.config


def run_migrations() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
