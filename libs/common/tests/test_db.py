"""The shared database helpers, the unit of work and the idle-connection ping, on both stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common import db, inbox, outbox
from duban_common.db import UtcDateTime, dialect_insert, insert_rows, make_engine
from duban_common.uow import UnitOfWork
from duban_contracts import Envelope
from duban_contracts.events import TaskDispatched

pytestmark = pytest.mark.integration

pytestmark = pytest.mark.integration

metadata = MetaData()
items = Table(
    "db_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False, unique=True),
    Column("data", JSON),
    Column("at", UtcDateTime()),
)
events = outbox.outbox_table(metadata, "db_outbox")
claims = inbox.inbox_table(metadata, "db_inbox")


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on either store with this module's tables, dropped afterwards."""
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await engine.dispose()


async def test_insert_rows_skips_existing_keys_and_times_come_back_aware_utc(
    engine: AsyncEngine,
) -> None:
    at = datetime(2026, 11, 22, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    async with engine.begin() as conn:
        await insert_rows(conn, items, [{"id": 1, "name": "一", "data": {"部门": ["省教育厅"]}}])
        await insert_rows(conn, items, [])  # nothing to write is no statement
        await insert_rows(
            conn,
            items,
            [{"id": n, "name": f"第{n}", "data": [n], "at": at} for n in (1, 2, 3)],
            skip_existing=True,
        )
        await conn.execute(
            dialect_insert(conn, items).on_conflict_do_nothing(), {"id": 2, "name": "二"}
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(select(items).order_by(items.c.id))).all()
    assert [(r.id, r.name, r.data) for r in rows] == [
        (1, "一", {"部门": ["省教育厅"]}),
        (2, "第2", [2]),
        (3, "第3", [3]),
    ]
    assert rows[2].at == at and rows[2].at.tzinfo == UTC  # 08:00 UTC, aware on both stores
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await insert_rows(conn, items, [{"id": 9, "name": "一"}])
    with pytest.raises(StatementError, match="naive datetime"):
        async with engine.begin() as conn:
            await insert_rows(conn, items, [{"id": 10, "name": "十", "at": datetime(2026, 1, 1)}])
    async with engine.connect() as conn:  # the failed transactions left nothing
        assert await conn.scalar(select(items.c.id).where(items.c.id >= 9)) is None


async def test_a_unit_of_work_stores_its_events_with_its_changes_or_nothing(
    engine: AsyncEngine,
) -> None:
    woken: list[str] = []
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    def event(n: int) -> Envelope:
        message = TaskDispatched(task_id=f"task-{n}", due_on=None)
        return Envelope.wrap(message, producer="t", traceparent=traceparent if n else None)

    async with UnitOfWork(engine, events, on_commit=lambda: woken.append("relay")) as uow:
        await uow.conn.execute(items.insert(), {"id": 1, "name": "一"})
        uow.add_event(event(0), event(1))
    assert uow.committed and woken == ["relay"]
    with pytest.raises(ValueError, match="出错"):
        async with UnitOfWork(engine, events, on_commit=lambda: woken.append("x")) as uow:
            await uow.conn.execute(items.insert(), {"id": 2, "name": "二"})
            uow.add_event(event(2))
            raise ValueError("出错")
    assert not uow.committed and woken == ["relay"]
    async with UnitOfWork(engine, events, on_commit=lambda: woken.append("idle")) as uow:
        await uow.conn.execute(items.insert(), {"id": 3, "name": "三"})
    assert woken == ["relay"]  # no events: nothing to wake the relay for
    async with engine.connect() as conn:
        assert (await conn.execute(select(items.c.id))).scalars().all() == [1, 3]
        rows = (await conn.execute(select(events).order_by(events.c.id))).all()
    assert [r.key for r in rows] == ["task-0", "task-1"]
    assert [r.traceparent for r in rows] == [None, traceparent]  # a column of its own
    assert Envelope.from_bytes(rows[1].body).traceparent == traceparent
    assert rows[0].created_at.tzinfo == UTC


async def test_a_batch_claim_returns_only_ids_never_seen(engine: AsyncEngine) -> None:
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    async with engine.begin() as conn:
        assert await inbox.claim_new(conn, claims, "c", []) == set()
        assert await inbox.claim_new(conn, claims, "c", [a, b, a]) == {a, b}
    async with engine.begin() as conn:
        assert await inbox.claim_new(conn, claims, "c", [b, c]) == {c}
        assert await inbox.claim_new(conn, claims, "other", [a]) == {a}
        assert not await inbox.claim(conn, claims, "c", a)


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


async def test_a_single_writer_connection_commits_and_rolls_back(sqlite_url: str) -> None:
    writer = make_engine(sqlite_url, pool_size=1, max_overflow=0)
    reader = make_engine(sqlite_url)
    try:
        async with writer.begin() as conn:
            assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(text("PRAGMA foreign_keys")) == 1
            await conn.run_sync(metadata.create_all)
            await insert_rows(conn, items, [{"id": 1, "name": "一", "data": {"部门": "省教育厅"}}])
        with pytest.raises(IntegrityError):
            async with writer.begin() as conn:
                await insert_rows(conn, items, [{"id": 2, "name": "二"}])
                await insert_rows(conn, items, [{"id": 3, "name": "一"}])
        async with reader.connect() as conn:  # the committed row, not the rolled-back one
            rows = (await conn.execute(select(items.c.id, items.c.data))).all()
            assert [(r.id, r.data) for r in rows] == [(1, {"部门": "省教育厅"})]
    finally:
        await writer.dispose()
        await reader.dispose()
