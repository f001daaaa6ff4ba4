"""Batch-friendly statements whose SQL text stays the same whatever the batch size.

`IN (:a, :b, ...)` and multi-row inserts render a new statement for every batch size, which
PostgreSQL's driver parses afresh each time; at delivery volumes that parsing (and adapting
every value in Python) cost more than the database work. Here the batch travels as one
parameter instead: an array (PostgreSQL) or a JSON text (SQLite, via json_each), and
PostgreSQL inserts read their rows from one JSON document (json_to_recordset).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import date, datetime
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


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows (every row with the same keys). SQLite: the driver's executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table.insert(), list(rows))
        return
    payload = json.dumps(list(rows), ensure_ascii=False, default=_json_default)
    await conn.execute(_recordset_insert(table, tuple(rows[0])), {"rows": payload})


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


@functools.cache
def _recordset_insert(table: Table, columns: tuple[str, ...]) -> Any:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    types = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    return text(
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS r({types})"
    )


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
