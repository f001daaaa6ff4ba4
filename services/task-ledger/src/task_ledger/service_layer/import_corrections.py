"""Correcting a department in a plan import's preview before it is confirmed.

A command of the import pages; it follows `service_layer.imports`' conventions (one
transaction, audited) and can join that module when the importer grows corrections.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import User
from task_ledger.service_layer import import_preview
from task_ledger.service_layer.uow import Ledger


def _apply(preview: dict[str, Any], old_id: str, new: Any, measure_id: str | None) -> int:
    changed = 0
    for doc in preview.get("documents", []):
        for m in doc["measures"]:
            if measure_id and m["id"] != measure_id:
                continue
            for role in ("lead", "supporting"):
                refs, seen = [], set()
                for ref in m[role]:
                    if ref["id"] == old_id:
                        ref = {
                            **ref,
                            "name": new.name,
                            "jurisdiction": new.jurisdiction,
                            "id": new.id,
                            "known": True,
                            "level": None,
                        }
                        changed += 1
                    if ref["id"] not in seen:
                        refs.append(ref)
                        seen.add(ref["id"])
                m[role] = refs
            lead_ids = {r["id"] for r in m["lead"]}
            m["supporting"] = [r for r in m["supporting"] if r["id"] not in lead_ids]
        import_preview.classify_parties(doc)
    return changed


async def correct_department(
    ledger: Ledger,
    actor: User,
    import_id: str,
    old_department_id: str,
    new_department_id: str,
    measure_id: str | None = None,
) -> int:
    """Point every mention of one department (or only in one measure) at a registered one."""
    async with ledger.transaction() as tx:
        row = (
            await tx.conn.execute(select(t.plan_imports).where(t.plan_imports.c.id == import_id))
        ).first()
        if row is None or not authz.can_manage_import(actor, row.created_by):
            raise NotFound("导入记录不存在")
        if row.status != "previewed":
            raise DomainError("该方案已确认导入，不能再更正单位")
        new = await repo.get_department(tx.conn, new_department_id)
        if new is None:
            raise DomainError("请选择已登记的单位")
        preview = await repo.load_preview(tx.conn, import_id, row.preview)
        changed = _apply(preview, old_department_id, new, measure_id)
        if not changed:
            raise DomainError("没有找到要更正的单位")
        await repo.store_preview(tx.conn, import_id, preview)
        tx.audit(
            actor.id,
            "plan_import.correct_department",
            "plan_import",
            import_id,
            {"department_id": old_department_id},
            {"department_id": new.id, "measure_id": measure_id, "mentions": changed},
        )
        return changed
