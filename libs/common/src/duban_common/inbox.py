"""Idempotent consumption: record each handled event id in the same transaction as its effect.

`claim(conn, table, consumer, event_id)` returns False when the event was already handled,
`claim_new(conn, table, consumer, event_ids)` the ids of a batch not handled before: a
redelivered or duplicated event changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, MetaData, String, Table, func
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.db import UtcDateTime, dialect_insert


def inbox_table(metadata: MetaData, name: str = "inbox") -> Table:
    return Table(
        name,
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime(), nullable=False, server_default=func.now()),
    )


async def claim(conn: AsyncConnection, table: Table, consumer: str, event_id: str) -> bool:
    return bool(await claim_new(conn, table, consumer, [event_id]))


async def claim_new(
    conn: AsyncConnection, table: Table, consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """Record the ids; return those not seen before (one statement for a whole batch)."""
    if not event_ids:
        return set()
    # RETURNING rather than rowcount: drivers disagree on rowcount for DO NOTHING.
    statement = dialect_insert(conn, table).on_conflict_do_nothing().returning(table.c.event_id)
    rows = [{"consumer": consumer, "event_id": e} for e in dict.fromkeys(event_ids)]
    return {row[0] for row in await conn.execute(statement, rows)}
