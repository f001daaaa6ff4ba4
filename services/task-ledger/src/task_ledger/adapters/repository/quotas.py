"""Counting writes per user (the rate limits): one atomic upsert per write on the user's row
for that kind of write, so several ledger processes sharing the database share the count."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from task_ledger.adapters import tables as t


@cache
def _counts_statement(dialect: str) -> ReturningInsert[Any]:
    """Built once per dialect with bound parameters: a statement built per call with its values
    inlined had SQLAlchemy walk those values for its cache key on every report. Each row adds
    `n` to its (user, kind) in the window; a row of an earlier window starts again at `n`."""
    q = t.write_quota.c
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(t.write_quota)
    new = statement.excluded
    return (
        statement.values(
            user_id=bindparam("user_id"),
            action=bindparam("action"),
            window_start=bindparam("window_start"),
            count=bindparam("n"),
        )
        .on_conflict_do_update(
            index_elements=["user_id", "action"],
            set_={
                "count": case(
                    (q.window_start == new.window_start, q.count + new.count), else_=new.count
                ),
                "window_start": new.window_start,
            },
        )
        .returning(q.user_id, q.action, q.count)
    )


async def count_writes(
    conn: AsyncConnection, writes: dict[tuple[str, str], int], window_start: int
) -> dict[tuple[str, str], int]:
    """Add `n` writes to each (user, kind) of `writes` in one statement; returns each one's
    count in the window with them."""
    params = [
        {"user_id": user_id, "action": action, "window_start": window_start, "n": n}
        for (user_id, action), n in writes.items()
    ]
    rows = await conn.execute(_counts_statement(conn.dialect.name), params)
    return {(r.user_id, r.action): int(r.count) for r in rows}


async def count_write(conn: AsyncConnection, user_id: str, action: str, window_start: int) -> int:
    """Add one write to the user's current window; returns the window's count with it."""
    counts = await count_writes(conn, {(user_id, action): 1}, window_start)
    return counts[(user_id, action)]
