"""Plan import: upload → preview (measures, departments, unknown ones flagged) → confirm.

Ids of plans, measures and tasks derive from the document, so importing the same document
twice creates nothing new.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.logging import get_logger
from duban_contracts.vocabulary import JurisdictionLevel
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import people as people_repo
from task_ledger.adapters.repository.previews import ROWS_PER_STATEMENT
from task_ledger.domain import authz
from task_ledger.domain import jurisdiction as jurisdiction_rules
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import Department, Measure, Plan, Task, User
from task_ledger.service_layer import (
    cascade_preview,
    directory,
    import_preview,
    indicators,
    milestones,
)
from task_ledger.service_layer.handlers import new_id, register_events
from task_ledger.service_layer.uow import Ledger, Transaction

log = get_logger(__name__)


async def upload(ledger: Ledger, actor: User, filename: str, data: bytes) -> dict[str, Any]:
    """Parse the file and store its preview: each document's header as the import's row, its
    measures as rows of their own, made and stored a batch at a time (`_store_measures`)."""
    if not data:
        raise DomainError("上传的文件为空")
    result, text = await asyncio.to_thread(import_preview.parse, data, filename)
    cited = await asyncio.to_thread(cascade_preview.cited_plans, result, text)
    del text  # its citations were all the preview needs of it
    preview = import_preview.build_preview(result)
    if not preview:
        raise DomainError("文件中没有找到行动方案")
    await cascade_preview.propose_for_preview(ledger, actor, preview, cited)
    import_id = new_id("imp")
    page_size = ledger.settings.preview_page_size
    async with ledger.transaction() as tx:
        kept = await people_repo.merged_departments(tx.conn)  # never a merged duplicate
        stored = [
            await _store_measures(tx.conn, import_id, d, document, kept, page_size)
            for d, document in enumerate(preview)
        ]
        await repo.insert_plan_import(
            tx.conn,
            import_id,
            filename[:255],
            hashlib.sha256(data).hexdigest(),
            actor.id,
            {"documents": [header for header, _ in stored]},
            tx.now,
        )
        tx.audit(
            actor.id,
            "plan_import.upload",
            "plan_import",
            import_id,
            None,
            {"filename": filename, "documents": len(preview)},
        )
    return {
        "import_id": import_id,
        "status": "previewed",
        # Each document whole but its measures cut to the first page (a 100,000-measure plan
        # answered 47 MB in one piece).
        "documents": [{**header, "measures": page} for header, page in stored],
    }


async def _store_measures(
    conn: AsyncConnection,
    import_id: str,
    d: int,
    document: import_preview.PreviewDocument,
    kept: dict[str, str],
    page_size: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Store document `d`'s measures, a batch at a time made in a worker thread: the whole
    preview is never held (a 100,000-measure plan's was 100 MB). Its header as stored (with
    what its measures say) and its first page of measures."""
    tally = import_preview.Tally()
    measures = document.measures()
    first: list[dict[str, Any]] = []
    while batch := await asyncio.to_thread(_next_batch, measures, tally, kept):
        await repo.insert_measure_rows(conn, import_id, d, tally.count - len(batch), batch)
        first += batch[: page_size - len(first)]
    return people_repo.follow_merges(document.header(tally), kept), first


def _next_batch(
    measures: Iterator[dict[str, Any]], tally: import_preview.Tally, kept: dict[str, str]
) -> list[dict[str, Any]]:
    batch = list(islice(measures, ROWS_PER_STATEMENT))
    for measure in batch:
        tally.add(measure)  # as the measures were made: before merges are followed
    return list(people_repo.follow_merges(batch, kept))


def check_owner(actor: User, row: Any) -> Any:
    """The import, if `actor` may handle it; another supervisor's import is as absent as a
    missing one (its filename and contents are not disclosed)."""
    if row is None or not authz.can_manage_import(actor, row.created_by):
        raise NotFound("导入记录不存在")
    return row


async def get_import(ledger: Ledger, actor: User, import_id: str) -> dict[str, Any]:
    """An import and its preview: each document's first page of measures and their count."""
    view, _ = await review_page(ledger, actor, import_id, 1)
    return view


async def review_page(
    ledger: Ledger, actor: User, import_id: str, page: int
) -> tuple[dict[str, Any], int]:
    """An import with each document's `page` of measures (clamped to the pages of the
    longest document), their count and the units the document names; and how many pages
    there are. Reads that page's measure rows only."""
    size = ledger.settings.preview_page_size
    async with ledger.reading() as conn:
        row = check_owner(actor, await repo.get_plan_import(conn, import_id))
        counts = repo.measure_counts(row.preview)
        pages = max(1, -(-max(counts.values(), default=0) // size))
        page = min(max(page, 1), pages)
        documents = (row.preview or {}).get("documents", [])
        shown = [
            {
                **{k: v for k, v in doc.items() if k != "measures"},
                "measures": await repo.preview_measures(
                    conn, import_id, d, (page - 1) * size, size
                ),
                "measure_count": counts.get(d, 0),
            }
            for d, doc in enumerate(documents)
        ]
    return {
        "import_id": row.id,
        "status": row.status,
        "plan_ids": row.plan_ids or [],
        "progress": (
            {"done": row.progress_done or 0, "total": row.progress_total}
            if row.progress_total is not None
            else None
        ),
        "job_error": row.job_error,
        **(row.preview or {}),
        "documents": shown,
    }, pages


async def import_measures(
    ledger: Ledger, actor: User, import_id: str, document: int, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of one document's measures in an import's preview, and how many it has."""
    async with ledger.reading() as conn:
        row = check_owner(actor, await repo.get_plan_import(conn, import_id))
        if not 0 <= document < len((row.preview or {}).get("documents", [])):
            raise NotFound("导入记录中没有该文件")
        start = (page - 1) * page_size
        measures = await repo.preview_measures(conn, import_id, document, start, page_size)
        counts = repo.measure_counts(row.preview)
        return measures, counts.get(document, 0)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class Confirmation:
    """What confirming one import creates, counted for its audit record and its answer."""

    tx: Transaction
    actor: User
    import_id: str
    created: dict[str, int] = field(
        default_factory=lambda: {"plans": 0, "measures": 0, "tasks": 0, "departments": 0}
    )
    new_departments: list[Department] = field(default_factory=list)
    new_plans: list[str] = field(default_factory=list)


async def confirm(ledger: Ledger, actor: User, import_id: str) -> dict[str, Any]:
    async with ledger.transaction() as tx:
        row = check_owner(actor, await repo.get_plan_import(tx.conn, import_id))
        if row.status == "confirming":
            raise DomainError("该方案正在后台导入，请稍候查看进度")
        preview = await repo.load_preview(tx.conn, import_id, row.preview)
        run = Confirmation(tx, actor, import_id)
        for doc in preview.get("documents", []):
            if await repo.plan_exists(tx.conn, doc["plan_id"]):
                continue  # the same document again: nothing new
            await _create_plan(run, doc)
            await cascade_preview.store_confirmed_preview(tx, actor, doc)
        await directory.add_demo_liaisons(tx, ledger.settings, run.new_departments)
        plan_ids = [d["plan_id"] for d in preview.get("documents", [])]
        await repo.confirm_plan_import(tx.conn, import_id, plan_ids)
        tx.audit(actor.id, "plan_import.confirm", "plan_import", import_id, None, run.created)
        if run.new_plans and authz.plan_scope(actor) is not None:
            # A supervisor limited to some plans oversees the plans they import.
            await directory.widen_scope(tx, actor, run.new_plans)
    return {"import_id": import_id, "status": "confirmed", "plan_ids": plan_ids, **run.created}


async def _create_plan(run: Confirmation, doc: dict[str, Any]) -> None:
    await insert_plan(run, doc)
    for m in doc["measures"]:
        await insert_measure(run, doc, m)


async def insert_plan(run: Confirmation, doc: dict[str, Any]) -> None:
    tx, plan_id = run.tx, doc["plan_id"]
    plan = Plan(
        id=plan_id,
        title=doc["title"][:500],
        doc_number=doc.get("doc_number"),
        jurisdiction=doc.get("jurisdiction"),
        issuers=tuple(doc.get("issuers") or ()),
        issued_on=_date(doc.get("issued_on")),
        due_on=_date(doc.get("due")),
    )
    await repo.insert_plan(tx.conn, plan, tx.now, run.import_id)
    tx.audit(
        run.actor.id,
        "plan.create",
        "plan",
        plan_id,
        None,
        {"title": doc["title"], "import_id": run.import_id},
    )
    run.created["plans"] += 1
    run.new_plans.append(plan_id)


async def insert_measure(run: Confirmation, doc: dict[str, Any], m: dict[str, Any]) -> None:
    measure = Measure(
        id=m["id"],
        plan_id=doc["plan_id"],
        label=m["label"][:50],
        path=tuple(m["path"]),
        title=m["title"][:500],
        text=m["text"],
        due_on=_date(m["due"]),
        targets=m["targets"],
        milestones=m["milestones"],
    )
    await repo.insert_measure(run.tx.conn, measure, m["position"])
    run.created["measures"] += 1
    if m["task_id"]:
        await _create_task(run, doc, m)


async def _create_task(run: Confirmation, doc: dict[str, Any], m: dict[str, Any]) -> None:
    tx, actor = run.tx, run.actor
    for ref in (*m["lead"], *m["supporting"]):
        if await repo.get_department(tx.conn, ref["id"]) is None:
            level = directory.REGISTRY_LEVELS.get(ref["level"] or "", None)
            plan_level = _level_of(doc.get("jurisdiction"))
            collective = bool(ref.get("collective"))
            if collective:  # a group: its level is its members' (各县（市、区） → county)
                level = collective_level(ref["printed"], plan_level)
            dep = Department(
                ref["id"],
                ref["name"][:200],
                ref["jurisdiction"],
                level or plan_level,
                collective=collective,
            )
            await directory.upsert_department(tx, dep, actor.id)
            if not collective:  # a group gets no (demo) liaison: nobody can be its liaison
                run.new_departments.append(dep)
            run.created["departments"] += 1
    due = _date(m["due"])
    lead = tuple(dict.fromkeys(r["id"] for r in m["lead"]))
    task = Task(
        id=m["task_id"],
        plan_id=doc["plan_id"],
        measure_id=m["id"],
        title=(m["title"] or m["text"])[:500],
        lead_department_ids=lead,
        supporting_department_ids=tuple(
            dict.fromkeys(r["id"] for r in m["supporting"] if r["id"] not in lead)
        ),
        due_on=due,
        original_due_on=due,
    )
    await repo.insert_task(tx.conn, task, tx.now)
    start = _date(doc.get("issued_on")) or tx.today
    await indicators.create_for_task(tx, task.id, m, start)
    await register_events(tx, task, actor, plan_title=doc["title"])
    milestones.announce(tx, task, m["milestones"], actor)
    tx.timeline(
        task.id,
        "registered",
        f"由方案导入立项：{doc['title'][:100]}",
        actor.id,
        import_id=run.import_id,
        measure_label=m["label"],
    )
    tx.audit(actor.id, "task.create", "task", task.id, None, repo.task_snapshot(task))
    run.created["tasks"] += 1


# What a collective's name says about its members, most specific first.
_COLLECTIVE_MEMBER_LEVELS = (
    (("乡镇", "镇", "街道", "乡"), JurisdictionLevel.TOWN),
    (("县", "区"), JurisdictionLevel.COUNTY),
    (("市", "地级"), JurisdictionLevel.CITY),
)


def collective_level(name: str, plan_level: JurisdictionLevel) -> JurisdictionLevel:
    """The members' level of a collective party: 各县（市、区）人民政府 → county, 各地级以上市
    → city, 各乡镇 → town. A group with no place in its name (各有关部门) has members at the
    plan's own level and none to expand to below it."""
    head = name.removeprefix("各").removeprefix("相关").removeprefix("有关")[:4]
    if "部门" in name:
        return plan_level
    found = [
        (head.find(word), level)
        for words, level in _COLLECTIVE_MEMBER_LEVELS
        for word in words
        if word in head
    ]
    if found:  # the first place word names the members (各市、县（区） → cities first)
        return min(found, key=lambda hit: hit[0])[1]
    return plan_level


def _level_of(jurisdiction: str | None) -> JurisdictionLevel:
    from duban_planparse import default_registry

    found = default_registry().jurisdiction(jurisdiction) if jurisdiction else None
    level = directory.REGISTRY_LEVELS.get(found.level) if found else None
    if level is None and jurisdiction:  # a place of its own: its name says the level
        level = jurisdiction_rules.level_by_name(jurisdiction)
    return level or JurisdictionLevel.PROVINCE
