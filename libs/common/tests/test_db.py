"""Driver statements and the idle-connection ping, on both stores."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common import db
from duban_common.db import DriverStatement, make_engine

pytestmark = pytest.mark.integration

metadata = MetaData()
items = Table(
    "driver_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False, unique=True),
    Column("data", JSON),
    Column("at", DateTime(timezone=True)),
)
INSERT = DriverStatement(insert(items).inline())
BY_NAME = DriverStatement(select(items).where(items.c.name == bindparam("name")))
NEWEST = DriverStatement(select(items.c.name).order_by(items.c.id.desc()).limit(1))


async def test_driver_statements_bind_json_return_rows_and_raise_sqlalchemy_errors(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await INSERT.execute(conn, {"id": 1, "name": "一", "data": {"部门": ["省教育厅"]}})
            await INSERT.execute(
                conn,
                [{"id": n, "name": f"第{n}", "data": [n], "at": at} for n in range(2, 5)],
            )
            await INSERT.execute(conn, [])  # nothing to write is no statement
        async with engine.connect() as conn:
            (row,) = await BY_NAME.execute(conn, {"name": "一"}) or []
            assert (row.id, row.data, row.at) == (1, {"部门": ["省教育厅"]}, None)
            (third,) = await BY_NAME.execute(conn, {"name": "第3"}) or []
            assert third.data == [3]
            assert (third.at if third.at.tzinfo else third.at.replace(tzinfo=UTC)) == at  # SQLite
            assert [r.name for r in await NEWEST.execute(conn) or []] == ["第4"]
            assert await BY_NAME.execute(conn, {"name": "无"}) == []
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await INSERT.execute(conn, {"id": 9, "name": "一"})
        async with engine.connect() as conn:  # the failed transaction left nothing
            assert await conn.scalar(select(items.c.id).where(items.c.id == 9)) is None
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


async def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        killer = make_engine(postgres_url)
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        await killer.dispose()
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()


async def test_a_sqlite_writer_on_the_loop_thread_commits_rolls_back_and_starts_no_thread(
    sqlite_url: str,
) -> None:
    async def statement_thread(engine: AsyncEngine) -> int:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.create_function("thread_id", 0, threading.get_ident)
            return int(await conn.scalar(text("SELECT thread_id()")))

    threads_before = threading.active_count()
    writer = make_engine(sqlite_url, sqlite_on_loop=True, pool_size=1, max_overflow=0)
    reader = make_engine(sqlite_url)
    try:
        assert await statement_thread(writer) == threading.get_ident()
        assert threading.active_count() == threads_before  # no aiosqlite worker for the writer
        async with writer.begin() as conn:
            assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(text("PRAGMA foreign_keys")) == 1
            await conn.run_sync(metadata.create_all)
            await INSERT.execute(conn, [{"id": 1, "name": "一", "data": {"部门": "省教育厅"}}])
        with pytest.raises(IntegrityError):
            async with writer.begin() as conn:
                await INSERT.execute(conn, {"id": 2, "name": "二"})
                await INSERT.execute(conn, {"id": 3, "name": "一"})
        assert await statement_thread(reader) != threading.get_ident()
        async with reader.connect() as conn:  # the committed row, not the rolled-back one
            rows = (await conn.execute(select(items.c.id, items.c.data))).all()
            assert [(r.id, r.data) for r in rows] == [(1, {"部门": "省教育厅"})]
    finally:
        await writer.dispose()
        await reader.dispose()
