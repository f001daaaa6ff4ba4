"""Queries on the watcher's tables. Every function runs inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters.tables import timers
from deadline_watcher.domain.timers import TimerSpec


def dialect_insert(conn: AsyncConnection, table: Any) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def timer_row(spec: TimerSpec) -> dict[str, Any]:
    return {
        "dedupe_key": spec.dedupe_key,
        "kind": spec.kind.value,
        "task_id": spec.task_id,
        "department_id": spec.department_id,
        "period": spec.period,
        "due_on": spec.due_on,
        "step": spec.step,
        "fire_at": spec.fire_at,
    }


async def add_timers(conn: AsyncConnection, specs: Iterable[TimerSpec]) -> None:
    """Insert timers; a dedupe key that exists already (pending or fired) is left alone."""
    rows = [timer_row(s) for s in specs]
    if rows:
        stmt = dialect_insert(conn, timers).on_conflict_do_nothing(index_elements=["dedupe_key"])
        await conn.execute(stmt, rows)


async def delete_pending_task_timers(conn: AsyncConnection, task_id: str) -> int:
    result = await conn.execute(
        delete(timers).where(timers.c.task_id == task_id, timers.c.fired_at.is_(None))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_due_timers(conn: AsyncConnection, now: datetime, limit: int) -> Sequence[Row[Any]]:
    """Lock a batch of due, pending timers, oldest first.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so replicas split the work and never fire one timer
    twice. SQLite: the transaction already holds the database's single write lock.
    """
    query = (
        select(timers)
        .where(timers.c.fired_at.is_(None), timers.c.fire_at <= now)
        .order_by(timers.c.fire_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await conn.execute(query)).all()


async def mark_fired(
    conn: AsyncConnection, ids: Sequence[int], outcome: str, fired_at: datetime
) -> None:
    if ids:
        await conn.execute(
            update(timers).where(timers.c.id.in_(ids)).values(fired_at=fired_at, outcome=outcome)
        )


async def next_fire_at(conn: AsyncConnection) -> datetime | None:
    return await conn.scalar(select(func.min(timers.c.fire_at)).where(timers.c.fired_at.is_(None)))
