"""Counting writes per user (the rate limits): one atomic upsert per write on the user's row
for that kind of write, so several ledger processes sharing the database share the count."""

from __future__ import annotations

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t


async def count_write(conn: AsyncConnection, user_id: str, action: str, window_start: int) -> int:
    """Add one write to the user's current window; returns the window's count with it.
    A row of an earlier window starts again at 1 (that window no longer counts)."""
    q = t.write_quota.c
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(t.write_quota)
        .values(user_id=user_id, action=action, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["user_id", "action"],
            set_={
                "count": case((q.window_start == window_start, q.count + 1), else_=1),
                "window_start": window_start,
            },
        )
        .returning(q.count)
    )
    return int((await conn.execute(statement)).scalar_one())
