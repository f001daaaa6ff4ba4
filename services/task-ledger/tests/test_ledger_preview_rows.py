"""An import preview's measures are rows (issue #22): migration 0015 moves the measures of
previews stored before it into rows and back on downgrade; a page, a count and the
background job read only their own rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from ledger_helpers import Api

from duban_common.db import sync_url
from duban_common.migrations import alembic_config, upgrade
from task_ledger.adapters import repository as repo
from task_ledger.bootstrap import MIGRATIONS
from task_ledger.service_layer import directory, imports

pytestmark = pytest.mark.integration

PREVIEW = {
    "documents": [
        {"plan_id": "plan-a", "title": "甲方案", "measures": [{"id": "m1"}, {"id": "m2"}]},
        {"plan_id": "plan-b", "title": "乙方案", "measures": []},
        {"plan_id": "plan-c", "title": "丙方案", "measures": [{"id": "m3", "text": "措施三"}]},
    ]
}


def _rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)).all())
    finally:
        engine.dispose()


def _preview(url: str) -> Any:
    (row,) = _rows(url, "SELECT preview FROM plan_import WHERE id = 'imp-old'")
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def test_migration_moves_stored_previews_into_rows_and_back(db_url: str) -> None:
    upgrade(db_url, MIGRATIONS, "0014")
    imports = sa.table(
        "plan_import",
        sa.column("id"),
        sa.column("filename"),
        sa.column("sha256"),
        sa.column("created_by"),
        sa.column("status"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("preview", sa.JSON),
    )
    engine = sa.create_engine(sync_url(db_url))
    with engine.begin() as conn:
        conn.execute(
            imports.insert().values(
                id="imp-old",
                filename="旧.txt",
                sha256="0" * 64,
                created_by="supervisor",
                status="previewed",
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
                preview=PREVIEW,
            )
        )
    engine.dispose()

    upgrade(db_url, MIGRATIONS, "0015")
    rows = _rows(
        db_url,
        "SELECT document, position FROM plan_import_measure WHERE import_id = 'imp-old' "
        "ORDER BY document, position",
    )
    assert [tuple(r) for r in rows] == [(0, 0), (0, 1), (2, 0)]
    header = _preview(db_url)
    assert [d["plan_id"] for d in header["documents"]] == ["plan-a", "plan-b", "plan-c"]
    assert all("measures" not in d for d in header["documents"])
    assert [d["measure_count"] for d in header["documents"]] == [2, 0, 1]

    config = alembic_config(db_url, MIGRATIONS)
    engine = sa.create_engine(sync_url(db_url))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    engine.dispose()
    assert _preview(db_url) == PREVIEW


async def test_pages_of_a_preview_read_only_their_rows(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.ledger.settings.preview_page_size = 4
    sup = await api.login("supervisor")
    uploaded = await api.upload()
    import_id, doc = uploaded["import_id"], uploaded["documents"][0]
    total = doc["measure_count"]
    assert total > 8 and len(doc["measures"]) == 4

    def whole(*_: Any) -> Any:
        raise AssertionError("the whole preview was read")

    monkeypatch.setattr(repo, "load_preview", whole)
    r = await api.client.get(f"/api/imports/{import_id}", headers=sup)
    assert r.status_code == 200 and r.json()["documents"][0]["measure_count"] == total
    every = []
    for page in range(1, -(-total // 4) + 1):
        r = await api.client.get(
            f"/api/imports/{import_id}/documents/0/measures",
            params={"page": page, "page_size": 4},
            headers=sup,
        )
        assert r.headers["X-Total-Count"] == str(total)
        assert [m["position"] for m in r.json()] == list(
            range((page - 1) * 4, min(page * 4, total))
        )
        every += r.json()
    async with api.ledger.reading() as conn:
        me = await repo.get_user(conn, directory.SUPERVISOR_ID)
    assert me is not None
    view, pages = await imports.review_page(api.ledger, me, import_id, 99)  # clamped
    assert pages == -(-total // 4)
    shown = view["documents"][0]
    assert [m["position"] for m in shown["measures"]] == list(range((pages - 1) * 4, total))
    # The units offered for correction are every unit the document names, not one page's.
    named = {d["id"] for d in shown["departments"]}
    assert named == {ref["id"] for m in every for ref in (*m["lead"], *m["supporting"])}
