"""Alembic environment: run programmatically by `task_ledger.migrate` (sync driver)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from task_ledger.adapters.tables import metadata

VERSION_TABLE = "task_ledger_alembic_version"

config = context.config
connection = config.attributes.get("connection")


def run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)
