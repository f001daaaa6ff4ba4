"""Batch-friendly statements whose SQL text stays the same whatever the batch size.

`IN (:a, :b, ...)` and multi-row inserts render a new statement for every batch size, which
PostgreSQL's driver parses afresh each time; at delivery volumes that parsing (and adapting
every value in Python) cost more than the database work. Here the batch travels as one
parameter instead: an array (PostgreSQL) or a JSON text (SQLite, via json_each). Bulk
inserts are `duban_common.db.insert_rows` (one JSON document on PostgreSQL).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection


def among(conn: AsyncConnection, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values` for string values, as one bound parameter."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))  # type: ignore[no-any-return]
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column.in_(select(listed.table_valued("value").c.value))  # type: ignore[no-any-return]


async def claim_new(
    conn: AsyncConnection, inbox: Table, consumer: str, event_ids: Sequence[str]
) -> set[str]:
    """Record event ids in an inbox table (duban_common.inbox); return those not seen before."""
    if not event_ids:
        return set()
    ids = json.dumps(list(dict.fromkeys(event_ids)))
    result = await conn.execute(_claim(inbox.name, conn.dialect.name), {"c": consumer, "ids": ids})
    return {row[0] for row in result}


@functools.cache
def _claim(table: str, dialect: str) -> Any:
    # SQLite needs the WHERE to tell the upsert clause from a join constraint.
    source = (
        "json_array_elements_text(CAST(:ids AS json))"
        if dialect == "postgresql"
        else "json_each(:ids) WHERE true"
    )
    return text(
        f"INSERT INTO {table} (consumer, event_id) SELECT :c, value FROM {source} "
        "ON CONFLICT DO NOTHING RETURNING event_id"
    )
