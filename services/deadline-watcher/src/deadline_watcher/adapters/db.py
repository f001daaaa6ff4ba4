"""The watcher's engine (timestamps are `duban_common.db.UtcDateTime` columns)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.db import is_postgres, make_engine


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
