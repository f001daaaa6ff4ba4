"""Idempotent consumption: record each handled event id in the same transaction as its effect.

`claim(conn, table, consumer, event_id)` returns False when the event was already handled,
so a redelivered or duplicated event changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def inbox_table(metadata: MetaData, name: str = "inbox") -> Table:
    return Table(
        name,
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim(conn: AsyncConnection, table: Table, consumer: str, event_id: str) -> bool:
    dialect = conn.dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    # RETURNING rather than rowcount: drivers disagree on rowcount for DO NOTHING.
    result = await conn.execute(
        ins.values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None
