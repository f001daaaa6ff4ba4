"""An import's preview in two parts: the import's `preview` column holds its documents without
their measures, `plan_import_measure` one row per measure. A page of the preview, a batch of
the background job or a count reads only what it needs; `load_preview`/`store_preview` give
and take the whole preview for the edits made on the review page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.db import execute_rows
from task_ledger.adapters import tables as t

ROWS_PER_STATEMENT = 1000  # measures inserted by one executemany

_m = t.plan_import_measures


def header_of(preview: dict[str, Any]) -> dict[str, Any]:
    """The preview without its documents' measures, but with their count: what the import's
    row stores."""
    return {
        **preview,
        "documents": [
            {
                **{k: v for k, v in doc.items() if k != "measures"},
                "measure_count": len(doc.get("measures", [])),
            }
            for doc in preview.get("documents", [])
        ],
    }


async def insert_measure_rows(
    conn: AsyncConnection,
    import_id: str,
    document: int,
    start: int,
    measures: Sequence[dict[str, Any]],
) -> None:
    """Measures `start`, `start + 1`, … of document `document` of an import's preview (at most
    ROWS_PER_STATEMENT of them: one executemany)."""
    rows = [
        {"import_id": import_id, "document": document, "position": position, "data": measure}
        for position, measure in enumerate(measures, start)
    ]
    await execute_rows(conn, insert(_m), rows)


async def insert_measures(conn: AsyncConnection, import_id: str, preview: dict[str, Any]) -> None:
    for d, doc in enumerate(preview.get("documents", [])):
        measures = doc.get("measures", [])
        for start in range(0, len(measures), ROWS_PER_STATEMENT):
            chunk = measures[start : start + ROWS_PER_STATEMENT]
            await insert_measure_rows(conn, import_id, d, start, chunk)


async def store_preview(conn: AsyncConnection, import_id: str, preview: dict[str, Any]) -> None:
    """Replace an import's whole preview (documents and measures)."""
    await conn.execute(
        update(t.plan_imports)
        .where(t.plan_imports.c.id == import_id)
        .values(preview=header_of(preview))
    )
    await conn.execute(delete(_m).where(_m.c.import_id == import_id))
    await insert_measures(conn, import_id, preview)


async def store_preview_header(
    conn: AsyncConnection, import_id: str, preview: dict[str, Any]
) -> None:
    """Store what a change to the preview's documents (not to their measures) changed."""
    await conn.execute(
        update(t.plan_imports)
        .where(t.plan_imports.c.id == import_id)
        .values(preview=header_of(preview))
    )


async def load_preview(
    conn: AsyncConnection, import_id: str, header: dict[str, Any] | None
) -> dict[str, Any]:
    """The whole preview: `header` (the import's `preview` column) with its measures."""
    preview = dict(header or {})
    documents = [dict(doc, measures=[]) for doc in preview.get("documents", [])]
    rows = await conn.execute(
        select(_m.c.document, _m.c.data)
        .where(_m.c.import_id == import_id)
        .order_by(_m.c.document, _m.c.position)
    )
    for row in rows:
        if row.document < len(documents):
            documents[row.document]["measures"].append(row.data)
    preview["documents"] = documents
    return preview


async def preview_measures(
    conn: AsyncConnection, import_id: str, document: int, start: int, limit: int
) -> list[dict[str, Any]]:
    """The measures of one document from place `start` on, at most `limit` of them."""
    rows = await conn.execute(
        select(_m.c.data)
        .where(
            _m.c.import_id == import_id,
            _m.c.document == document,
            _m.c.position >= start,
            _m.c.position < start + limit,
        )
        .order_by(_m.c.position)
    )
    return [r.data for r in rows]


async def document_first_page(
    conn: AsyncConnection, import_id: str, d: int, doc: dict[str, Any], page_size: int
) -> dict[str, Any]:
    """Document `d` of a stored preview as answered: its first page of measures, their count."""
    return {
        **{k: v for k, v in doc.items() if k != "measures"},
        "measures": await preview_measures(conn, import_id, d, 0, page_size),
        "measure_count": doc.get("measure_count", len(doc.get("measures", []))),
    }


def measure_counts(header: dict[str, Any] | None) -> dict[int, int]:
    """How many measures each document of an import has, by the document's place, as its
    stored header says (`header_of` keeps the count; migration 0015 wrote it for older ones)."""
    documents = (header or {}).get("documents", [])
    return {d: int(doc.get("measure_count", 0)) for d, doc in enumerate(documents)}
