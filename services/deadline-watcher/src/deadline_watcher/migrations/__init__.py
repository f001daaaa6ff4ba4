"""Alembic migrations of the watcher's own schema, run programmatically at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from duban_common.db import sync_url

HERE = Path(__file__).parent
VERSION_TABLE = "watcher_alembic_version"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def migrate(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision` (creating the SQLite file's folder if needed)."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)
