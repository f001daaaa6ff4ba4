"""Counting writes per user (the rate limits): one atomic upsert per write, so several
ledger processes sharing the database share the count."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t


async def count_write(conn: AsyncConnection, user_id: str, action: str, window_start: int) -> int:
    """Add one write to the user's current window; returns the window's count with it.
    Windows before this one are dropped (they no longer count)."""
    q = t.write_quota.c
    await conn.execute(
        delete(t.write_quota).where(
            q.user_id == user_id, q.action == action, q.window_start < window_start
        )
    )
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(t.write_quota)
        .values(user_id=user_id, action=action, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["user_id", "action", "window_start"],
            set_={"count": q.count + 1},
        )
        .returning(q.count)
    )
    return int((await conn.execute(statement)).scalar_one())
