"""One way to migrate a service's database: `upgrade(database_url, "<package>.adapters.migrations")`
at start-up, in tests and in the deployment's migrate jobs; `run_alembic_env` is the body of
every service's Alembic `env.py`."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, make_url, pool
from sqlalchemy.engine import Connection

from duban_common.db import sync_url


def alembic_config(database_url: str, migrations: str) -> Config:
    """Alembic's configuration for the migrations package `migrations` (a dotted name)."""
    module = importlib.import_module(migrations)
    config = Config()
    config.set_main_option("script_location", str(Path(module.__file__ or "").parent))
    # configparser treats % as interpolation; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, migrations: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision` with the Alembic scripts of the
    package `migrations` (creates a SQLite file's folder). Blocking: from async code call it
    through `asyncio.to_thread`."""
    url = make_url(sync_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            config = alembic_config(database_url, migrations)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


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
