"""What the ledger's event consumer stores: inbox claims (effects once), event timeline
entries, in-app inbox messages, the monthly-report bookkeeping; and the in-app inbox read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common import inbox
from duban_common.db import dialect_insert, insert_rows
from task_ledger.adapters import tables as t


async def claim_new(conn: AsyncConnection, consumer: str, event_ids: Sequence[str]) -> set[str]:
    """Record the ids; return those not seen before (one statement for the whole batch)."""
    return await inbox.claim_new(conn, t.consumer_inbox, consumer, event_ids)


async def add_event_timeline(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Timeline entries derived from events (an event redelivered adds nothing)."""
    await insert_rows(conn, t.timeline, rows, skip_existing=True)


async def add_inbox_messages(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    await insert_rows(conn, t.inbox_messages, rows, skip_existing=True)


async def upsert_monthly(
    conn: AsyncConnection, department_id: str, period: str, **values: Any
) -> None:
    stmt = dialect_insert(conn, t.monthly_reports).values(
        department_id=department_id, period=period, **values
    )
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["department_id", "period"], set_=values)
    )


async def list_inbox(conn: AsyncConnection, user_id: str, unread_only: bool) -> list[Any]:
    query = select(t.inbox_messages).where(t.inbox_messages.c.user_id == user_id)
    if unread_only:
        query = query.where(t.inbox_messages.c.read_at.is_(None))
    return list(
        (
            await conn.execute(
                query.order_by(t.inbox_messages.c.at.desc(), t.inbox_messages.c.id.desc())
            )
        ).all()
    )


async def mark_inbox_read(
    conn: AsyncConnection, user_id: str, message_id: str, now: datetime
) -> bool:
    """True when the message was the user's and unread."""
    result = await conn.execute(
        update(t.inbox_messages)
        .where(
            t.inbox_messages.c.id == message_id,
            t.inbox_messages.c.user_id == user_id,
            t.inbox_messages.c.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return bool(result.rowcount)


async def mark_inbox_all_read(conn: AsyncConnection, user_id: str, now: datetime) -> int:
    """Every unread message of the user marked read; how many there were."""
    result = await conn.execute(
        update(t.inbox_messages)
        .where(t.inbox_messages.c.user_id == user_id, t.inbox_messages.c.read_at.is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount or 0)
