"""The watcher's engine and a UTC timestamp type that behaves the same on both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeDecorator

from duban_common.db import is_postgres, make_engine


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out.

    SQLite has no time zones: values are stored as naive UTC text, which also keeps the
    text ordering equal to time ordering for the scheduler's `fire_at <= now` scans.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the watcher only stores aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_watcher_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """`make_engine`, plus on SQLite every transaction takes the write lock when it begins
    (BEGIN IMMEDIATE): two schedulers on one file then queue instead of both reading the same
    due timers, and a read never has to be upgraded to a write halfway through."""
    engine = make_engine(url, **kwargs)
    if is_postgres(engine):
        return engine

    @event.listens_for(engine.sync_engine, "connect")
    def _no_implicit_begin(dbapi_conn: Any, _: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
