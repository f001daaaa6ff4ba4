"""Alembic migrations for the notifier's own database, run programmatically at start-up."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from duban_common.db import sync_url

VERSION_TABLE = "notifier_alembic_version"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    # configparser treats % as interpolation; URLs may contain escaped characters.
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision` (blocking: call it through asyncio.to_thread)."""
    command.upgrade(alembic_config(database_url), revision)
