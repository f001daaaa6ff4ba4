"""Plan import: upload → preview (measures, departments, unknown ones flagged) → confirm.

Ids of plans, measures and tasks derive from the document, so importing the same document
twice creates nothing new.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from duban_common.logging import get_logger
from duban_contracts.vocabulary import JurisdictionLevel
from duban_planparse import ParseResult
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import people as people_repo
from task_ledger.domain import authz
from task_ledger.domain import jurisdiction as jurisdiction_rules
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import Department, Measure, Plan, Task, User
from task_ledger.service_layer import cascade_preview, directory, indicators, milestones
from task_ledger.service_layer.handlers import new_id, register_events
from task_ledger.service_layer.uow import Ledger, Transaction

log = get_logger(__name__)


def _digest(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def _department_ref(
    name: str, jurisdiction: str | None, party: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A printed name resolved to a department: the registry's, else the parser's proposal
    named with the plan's jurisdiction (`市财政局` in a 韶关市 plan → 韶关市财政局), else the
    printed name. Collective groups (各区人民政府, 相关部门) are flagged as such."""
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
    party = party or {}
    place = party.get("jurisdiction") or jurisdiction or "未知"
    proposed = party.get("proposed") or name
    return {
        "printed": name,
        "name": proposed,
        "jurisdiction": place,
        "level": None,
        "id": directory.department_id(place, proposed),
        "known": False,
        "collective": party.get("kind") == "collective",
    }


def build_preview(result: ParseResult) -> dict[str, Any]:
    """The parse result with ids and resolved departments, exactly what confirm will create.
    Measure by measure (a 100,000-measure plan as one dict took 180 MB more), and each
    department's reference made once per document and shared by the measures naming it."""
    documents = []
    for doc in result.documents:
        jurisdiction = doc.jurisdiction
        key = doc.doc_number or doc.title
        plan_id = f"plan-{_digest(jurisdiction or '', key)}"
        due = doc.due.isoformat() if doc.due else None
        refs: dict[tuple[Any, ...], dict[str, Any]] = {}
        measures = [
            _preview_measure(plan_id, position, m.to_dict(), due, jurisdiction, refs)
            for position, m in enumerate(doc.measures)
        ]
        document = {
            "plan_id": plan_id,
            # The plan a notice carries (关于印发《X》的通知 → X), else the document's title.
            "title": doc.plan_title or doc.title,
            "doc_number": doc.doc_number,
            "issuers": list(doc.issuers),
            "issued_on": doc.issued_on.isoformat() if doc.issued_on else None,
            "due": due,
            "jurisdiction": jurisdiction,
            "warnings": list(doc.warnings),
            "measures": measures,
            "task_count": sum(1 for m in measures if m["task_id"]),
        }
        classify_parties(document)
        indicators.annotate_preview(document)  # drafts per measure, conflicts per document
        documents.append(document)
    return {"documents": documents}


def _preview_measure(
    plan_id: str,
    position: int,
    m: dict[str, Any],
    plan_due: str | None,
    jurisdiction: str | None,
    refs: dict[tuple[Any, ...], dict[str, Any]],
) -> dict[str, Any]:
    names = list(m.get("departments") or [])
    lead = list(m.get("lead") or []) or names[:1]
    supporting = [n for n in (m.get("supporting") or names[1:]) if n not in lead]
    measure_id = f"msr-{_digest(plan_id, '/'.join(m['path']) or m['label'], str(position))}"
    parties = {p["name"]: p for p in m.get("parties") or []}

    def ref(name: str) -> dict[str, Any]:
        party = parties.get(name)
        key = (name, *(party or {}).values())
        if key not in refs:
            refs[key] = _department_ref(name, jurisdiction, party)
        return refs[key]

    return {
        "id": measure_id,
        "task_id": f"task-{_digest(measure_id)}" if lead else None,
        "position": position,
        "label": m["label"],
        "path": m["path"],
        "title": m["title"],
        "text": m["text"],
        "due": m.get("due") or plan_due,
        "targets": m.get("targets") or [],
        "milestones": m.get("milestones") or [],
        "lead": [ref(n) for n in lead],
        "supporting": [ref(n) for n in supporting],
    }


def classify_parties(document: dict[str, Any]) -> None:
    """Split the unregistered parties of a previewed document: units to create (or correct to
    registered ones) and collective groups (各县（市、区）人民政府), which are no unit to create —
    they are kept as groups and their tasks are expanded to the members after confirming."""
    refs = [d for m in document["measures"] for d in (*m["lead"], *m["supporting"])]
    # Every unit the document names, once: the review page offers them for correction
    # without reading every measure.
    named = {d["id"]: d for d in refs}
    document["departments"] = sorted(named.values(), key=lambda d: (d["known"], d["name"]))
    document["unknown_departments"] = sorted(
        {d["name"] for d in refs if not d["known"] and not d.get("collective")}
    )
    document["collective_departments"] = sorted(
        {d["name"] for d in refs if not d["known"] and d.get("collective")}
    )


def _parse(data: bytes, filename: str) -> ParseResult:
    from duban_planparse import PlanParseError, parse_bytes

    try:
        return parse_bytes(data, filename)
    except PlanParseError as exc:  # the package's base error: its message is for the user
        raise DomainError(f"无法解析方案文件：{exc}") from exc
    except Exception as exc:
        # The parser is a function of the uploaded bytes alone, so whatever else escapes it
        # (zlib.error, XMLSyntaxError, … from a corrupt or hostile file) is the file's fault:
        # a 422, never a 500. Logged, as it names a parser gap to close.
        log.warning("plan_parse_failed", filename=filename, error=repr(exc)[:300])
        raise DomainError("无法解析方案文件：文件已损坏或格式不受支持，请检查后重新上传") from exc


async def upload(ledger: Ledger, actor: User, filename: str, data: bytes) -> dict[str, Any]:
    if not data:
        raise DomainError("上传的文件为空")
    parsed = await asyncio.to_thread(_parse, data, filename)
    preview = await asyncio.to_thread(build_preview, parsed)
    if not preview["documents"]:
        raise DomainError("文件中没有找到行动方案")
    await cascade_preview.propose_for_preview(ledger, actor, preview, parsed, data, filename)
    del parsed  # the preview holds what is kept
    import_id = new_id("imp")
    async with ledger.transaction() as tx:
        preview = await people_repo.follow_merges(tx.conn, preview)  # never a merged duplicate
        await repo.insert_plan_import(
            tx.conn,
            import_id,
            filename[:255],
            hashlib.sha256(data).hexdigest(),
            actor.id,
            preview,
            tx.now,
        )
        tx.audit(
            actor.id,
            "plan_import.upload",
            "plan_import",
            import_id,
            None,
            {"filename": filename, "documents": len(preview["documents"])},
        )
    return {
        "import_id": import_id,
        "status": "previewed",
        **first_pages(preview, ledger.settings.preview_page_size),
    }


def first_pages(preview: dict[str, Any], page_size: int) -> dict[str, Any]:
    """The preview as answered: each document whole but its measures cut to the first page,
    with their count (a 100,000-measure plan answered 47 MB in one piece)."""
    return {
        **preview,
        "documents": [
            {**doc, "measures": doc["measures"][:page_size], "measure_count": len(doc["measures"])}
            for doc in preview.get("documents", [])
        ],
    }


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
        counts = await repo.measure_counts(conn, import_id, row.preview)
        pages = max(1, -(-max(counts.values(), default=0) // size))
        page = min(max(page, 1), pages)
        documents = (row.preview or {}).get("documents", [])
        if any("departments" not in doc for doc in documents):  # stored before they were kept
            whole = await repo.load_preview(conn, import_id, row.preview)
            for doc in whole["documents"]:
                classify_parties(doc)
            documents = whole["documents"]
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
        counts = await repo.measure_counts(conn, import_id, row.preview)
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
