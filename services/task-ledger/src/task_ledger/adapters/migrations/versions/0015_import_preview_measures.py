"""An import preview's measures become rows (`plan_import_measure`), one per measure; the
import's `preview` keeps its documents without their measures. Pages and the background job
then read a page or a batch, never the whole preview (issue #22: 100,000 measures).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

imports = sa.table("plan_import", sa.column("id", sa.String), sa.column("preview", sa.JSON))
measures = sa.table(
    "plan_import_measure",
    sa.column("import_id", sa.String),
    sa.column("document", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("data", sa.JSON),
)


def upgrade() -> None:
    op.create_table(
        "plan_import_measure",
        sa.Column("import_id", sa.String(64), primary_key=True),
        sa.Column("document", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    conn = op.get_bind()
    for import_id, preview in conn.execute(sa.select(imports.c.id, imports.c.preview)).all():
        if not preview:
            continue
        rows: list[dict[str, Any]] = []
        documents = []
        for d, doc in enumerate(preview.get("documents", [])):
            for position, m in enumerate(doc.get("measures", [])):
                rows.append(
                    {"import_id": import_id, "document": d, "position": position, "data": m}
                )
            header = {k: v for k, v in doc.items() if k != "measures"}
            items = doc.get("measures", [])
            # The units the document names, for the review page (as the importer keeps them).
            named = {
                r["id"]: r for m in items for r in (*m.get("lead", ()), *m.get("supporting", ()))
            }
            units = sorted(named.values(), key=lambda r: (bool(r.get("known")), r["name"]))
            documents.append({**header, "measure_count": len(items), "departments": units})
        if rows:
            conn.execute(measures.insert(), rows)
        conn.execute(
            imports.update()
            .where(imports.c.id == import_id)
            .values(preview={**preview, "documents": documents})
        )


def downgrade() -> None:
    conn = op.get_bind()
    for import_id, preview in conn.execute(sa.select(imports.c.id, imports.c.preview)).all():
        if not preview:
            continue
        rows = conn.execute(
            sa.select(measures.c.document, measures.c.data)
            .where(measures.c.import_id == import_id)
            .order_by(measures.c.document, measures.c.position)
        ).all()
        documents = [
            {
                **{k: v for k, v in doc.items() if k not in ("measure_count", "departments")},
                "measures": [],
            }
            for doc in preview.get("documents", [])
        ]
        for r in rows:
            documents[r.document]["measures"].append(r.data)
        conn.execute(
            imports.update()
            .where(imports.c.id == import_id)
            .values(preview={**preview, "documents": documents})
        )
    op.drop_table("plan_import_measure")
