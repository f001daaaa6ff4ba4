"""Batch-friendly statements whose SQL text stays the same whatever the batch size.

`IN (:a, :b, ...)` and multi-row inserts render a new statement for every batch size, which
PostgreSQL's driver parses afresh each time; at delivery volumes that parsing (and adapting
every value in Python) cost more than the database work. Here the batch travels as one
parameter instead: an array (PostgreSQL) or a JSON text (SQLite, via json_each). Bulk
inserts are `duban_common.db.insert_rows`, inbox claims `duban_common.inbox.claim_new`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection


def among(conn: AsyncConnection, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """`column IN values` for string values, as one bound parameter."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(String)))  # type: ignore[no-any-return]
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column.in_(select(listed.table_valued("value").c.value))  # type: ignore[no-any-return]
