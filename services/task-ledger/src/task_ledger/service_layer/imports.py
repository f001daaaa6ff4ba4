"""Plan import: upload → preview (measures, departments, unknown ones flagged) → confirm.

Ids of plans, measures and tasks derive from the document, so importing the same document
twice creates nothing new.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select

from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import Department, Task, User
from task_ledger.service_layer import directory
from task_ledger.service_layer.handlers import new_id, register_events
from task_ledger.service_layer.uow import Ledger


def _digest(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def _department_ref(name: str, jurisdiction: str | None) -> dict[str, Any]:
    from duban_planparse import default_registry

    found = default_registry().lookup(name, jurisdiction)
    if found is not None:
        return {
            "printed": name,
            "name": found.name,
            "jurisdiction": found.jurisdiction,
            "level": found.level,
            "id": directory.department_id(found.jurisdiction, found.name),
            "known": True,
        }
    place = jurisdiction or "未知"
    return {
        "printed": name,
        "name": name,
        "jurisdiction": place,
        "level": None,
        "id": directory.department_id(place, name),
        "known": False,
    }


def build_preview(parsed: dict[str, Any]) -> dict[str, Any]:
    """The parse result with ids and resolved departments, exactly what confirm will create."""
    documents = []
    for doc in parsed["documents"]:
        jurisdiction = doc.get("jurisdiction")
        key = doc.get("doc_number") or doc["title"]
        plan_id = f"plan-{_digest(jurisdiction or '', key)}"
        measures = []
        for position, m in enumerate(doc["measures"]):
            names = list(m.get("departments") or [])
            lead = list(m.get("lead") or []) or names[:1]
            supporting = [n for n in (m.get("supporting") or names[1:]) if n not in lead]
            measure_id = f"msr-{_digest(plan_id, '/'.join(m['path']) or m['label'], str(position))}"
            measures.append(
                {
                    "id": measure_id,
                    "task_id": f"task-{_digest(measure_id)}" if lead else None,
                    "position": position,
                    "label": m["label"],
                    "path": m["path"],
                    "title": m["title"],
                    "text": m["text"],
                    "due": m.get("due") or doc.get("due"),
                    "targets": m.get("targets") or [],
                    "milestones": m.get("milestones") or [],
                    "lead": [_department_ref(n, jurisdiction) for n in lead],
                    "supporting": [_department_ref(n, jurisdiction) for n in supporting],
                }
            )
        unknown = sorted(
            {d["name"] for m in measures for d in (*m["lead"], *m["supporting"]) if not d["known"]}
        )
        documents.append(
            {
                "plan_id": plan_id,
                "title": doc["title"],
                "doc_number": doc.get("doc_number"),
                "issuers": doc.get("issuers") or [],
                "issued_on": doc.get("issued_on"),
                "due": doc.get("due"),
                "jurisdiction": jurisdiction,
                "warnings": doc.get("warnings") or [],
                "measures": measures,
                "unknown_departments": unknown,
                "task_count": sum(1 for m in measures if m["task_id"]),
            }
        )
    return {"documents": documents}


def _parse(data: bytes, filename: str) -> dict[str, Any]:
    from duban_planparse import PlanParseError, parse_bytes

    try:
        return parse_bytes(data, filename).to_dict()
    except PlanParseError as exc:
        raise DomainError(f"无法解析方案文件：{exc}") from exc


async def upload(ledger: Ledger, actor: User, filename: str, data: bytes) -> dict[str, Any]:
    if not data:
        raise DomainError("上传的文件为空")
    parsed = await asyncio.to_thread(_parse, data, filename)
    preview = build_preview(parsed)
    if not preview["documents"]:
        raise DomainError("文件中没有找到行动方案")
    import_id = new_id("imp")
    async with ledger.transaction() as tx:
        await tx.conn.execute(
            t.plan_imports.insert().values(
                id=import_id,
                filename=filename[:255],
                sha256=hashlib.sha256(data).hexdigest(),
                created_by=actor.id,
                created_at=tx.now,
                preview=preview,
                status="previewed",
            )
        )
        tx.audit(
            actor.id,
            "plan_import.upload",
            "plan_import",
            import_id,
            None,
            {"filename": filename, "documents": len(preview["documents"])},
        )
    return {"import_id": import_id, "status": "previewed", **preview}


async def get_import(ledger: Ledger, import_id: str) -> dict[str, Any]:
    async with ledger.reading() as conn:
        row = (
            await conn.execute(select(t.plan_imports).where(t.plan_imports.c.id == import_id))
        ).first()
    if row is None:
        raise NotFound("导入记录不存在")
    return {
        "import_id": row.id,
        "status": row.status,
        "plan_ids": row.plan_ids or [],
        **(row.preview or {}),
    }


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def confirm(ledger: Ledger, actor: User, import_id: str) -> dict[str, Any]:
    created = {"plans": 0, "measures": 0, "tasks": 0, "departments": 0}
    new_departments: list[Department] = []
    new_plans: list[str] = []
    async with ledger.transaction() as tx:
        row = (
            await tx.conn.execute(select(t.plan_imports).where(t.plan_imports.c.id == import_id))
        ).first()
        if row is None:
            raise NotFound("导入记录不存在")
        preview = row.preview or {}
        for doc in preview.get("documents", []):
            plan_id = doc["plan_id"]
            if (await tx.conn.execute(select(t.plans.c.id).where(t.plans.c.id == plan_id))).first():
                continue  # the same document again: nothing new
            await tx.conn.execute(
                t.plans.insert().values(
                    id=plan_id,
                    title=doc["title"][:500],
                    doc_number=doc.get("doc_number"),
                    jurisdiction=doc.get("jurisdiction"),
                    issuers=doc.get("issuers"),
                    issued_on=_date(doc.get("issued_on")),
                    due_on=_date(doc.get("due")),
                    created_at=tx.now,
                )
            )
            tx.audit(
                actor.id,
                "plan.create",
                "plan",
                plan_id,
                None,
                {"title": doc["title"], "import_id": import_id},
            )
            created["plans"] += 1
            new_plans.append(plan_id)
            for m in doc["measures"]:
                await tx.conn.execute(
                    t.measures.insert().values(
                        id=m["id"],
                        plan_id=plan_id,
                        position=m["position"],
                        label=m["label"][:50],
                        path=m["path"],
                        title=m["title"][:500],
                        text=m["text"],
                        due_on=_date(m["due"]),
                        targets=m["targets"],
                        milestones=m["milestones"],
                    )
                )
                created["measures"] += 1
                if not m["task_id"]:
                    continue
                for ref in (*m["lead"], *m["supporting"]):
                    if await repo.get_department(tx.conn, ref["id"]) is None:
                        level = directory.REGISTRY_LEVELS.get(ref["level"] or "", None)
                        dep = Department(
                            ref["id"],
                            ref["name"][:200],
                            ref["jurisdiction"],
                            level or _level_of(doc.get("jurisdiction")),
                        )
                        await directory.upsert_department(tx, dep, actor.id)
                        new_departments.append(dep)
                        created["departments"] += 1
                due = _date(m["due"])
                task = Task(
                    id=m["task_id"],
                    plan_id=plan_id,
                    measure_id=m["id"],
                    title=(m["title"] or m["text"])[:500],
                    lead_department_ids=tuple(dict.fromkeys(r["id"] for r in m["lead"])),
                    supporting_department_ids=tuple(
                        dict.fromkeys(
                            r["id"]
                            for r in m["supporting"]
                            if r["id"] not in {x["id"] for x in m["lead"]}
                        )
                    ),
                    due_on=due,
                    original_due_on=due,
                )
                await repo.insert_task(tx.conn, task, tx.now)
                await register_events(tx, task, actor, plan_title=doc["title"])
                tx.timeline(
                    task.id,
                    "registered",
                    f"由方案导入立项：{doc['title'][:100]}",
                    actor.id,
                    import_id=import_id,
                    measure_label=m["label"],
                )
                tx.audit(actor.id, "task.create", "task", task.id, None, repo.task_snapshot(task))
                created["tasks"] += 1
        await directory.add_demo_liaisons(tx, ledger.settings, new_departments)
        plan_ids = [d["plan_id"] for d in preview.get("documents", [])]
        await tx.conn.execute(
            t.plan_imports.update()
            .where(t.plan_imports.c.id == import_id)
            .values(status="confirmed", plan_ids=plan_ids)
        )
        tx.audit(actor.id, "plan_import.confirm", "plan_import", import_id, None, created)
        if new_plans and authz.plan_scope(actor) is not None:
            # A supervisor limited to some plans oversees the plans they import.
            await directory.widen_scope(tx, actor, new_plans)
    return {"import_id": import_id, "status": "confirmed", "plan_ids": plan_ids, **created}


def _level_of(jurisdiction: str | None) -> Any:
    from duban_planparse import default_registry
    from task_ledger.domain.model import JurisdictionLevel

    found = default_registry().jurisdiction(jurisdiction) if jurisdiction else None
    level = directory.REGISTRY_LEVELS.get(found.level) if found else None
    return level or JurisdictionLevel.PROVINCE
