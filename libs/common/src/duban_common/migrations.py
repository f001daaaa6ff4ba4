"""The body of every service's Alembic `env.py`: one way to run a service's migrations."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine, pool
from sqlalchemy.engine import Connection


def run_alembic_env(metadata: MetaData, version_table: str) -> None:
    """Migrate on the connection handed in by the caller (config.attributes["connection"]),
    else on a fresh synchronous engine for `sqlalchemy.url`. Each service keeps its own version
    table, so services could even share one database without stepping on each other."""
    if context.is_offline_mode():
        raise SystemExit("offline migrations are not supported; run them against a database")
    config = context.config

    def run(conn: Connection) -> None:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters by copying tables
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    given = config.attributes.get("connection")
    if given is not None:
        run(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("sqlalchemy.url is not set")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            run(conn)
    finally:
        engine.dispose()
