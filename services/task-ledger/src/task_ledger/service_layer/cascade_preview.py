"""The plan cascade in the import preview (issue 24): each previewed document gets its proposed
superior plan and measure links; the user changes the superior or accepts/rejects links; the
import's confirmation stores them (see `cascade` for the statuses and the events)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from duban_cascade import Plan, plans_from_result, superior_candidates
from duban_planparse import ParseResult, PlanParseError
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import cascade as links
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import User
from task_ledger.service_layer.cascade import (
    CANDIDATES,
    check_statuses,
    measure_proposals,
    plan_ref,
    preview_plan,
    store_measure_links,
    store_plan_link,
    stored_plans,
)
from task_ledger.service_layer.import_preview import PreviewDocument
from task_ledger.service_layer.uow import Ledger, Transaction


def cited_plans(result: ParseResult, text: str) -> list[Plan | None]:
    """The file's documents as duban_cascade reads them from `text` (the file's), for their
    citations (which only the text holds; the measures come from the preview); when its
    split of the text disagrees with the parse result's documents, none."""
    count = len(result.documents)
    try:
        found = plans_from_result(result, text, measures=False)
    except (PlanParseError, ValueError):  # the preview parsed it already: citations are a bonus
        return [None] * count
    return list(found) if len(found) == count else [None] * count


async def propose_for_preview(
    ledger: Ledger, actor: User, documents: list[PreviewDocument], cited: list[Plan | None]
) -> None:
    """Set each previewed document's proposed superior (`superior`) and measure links
    (`measure_links`). Candidates are the stored plans the actor oversees and the other
    documents of the file; `cited`: the documents' citations (`cited_plans`)."""
    # Citations, titles and places choose a superior; measures only match those of a chosen
    # one, so a document's are made only then (a 100,000-measure plan's were 40 MB).
    mine = [
        preview_plan({**doc.fields, "measures": ()}, parsed)
        for doc, parsed in zip(documents, cited, strict=True)
    ]
    scope = authz.plan_scope(actor)
    async with ledger.reading() as conn:
        rows = [
            r
            for r in await links.list_plans_except(conn, [p.key for p in mine])
            if scope is None or r.id in scope
        ]
        stored = await stored_plans(conn, rows)
    await asyncio.to_thread(_propose, documents, cited, mine, stored)


def _propose(
    documents: list[PreviewDocument],
    cited: list[Plan | None],
    mine: list[Plan],
    stored: dict[str, Plan],
) -> None:
    def measured(plan: Plan) -> Plan:
        """`plan` with its measures: a document of the file's made now, a stored one's read."""
        for doc, parsed, own in zip(documents, cited, mine, strict=True):
            if own is plan:
                return preview_plan({**doc.fields, "measures": doc.measures()}, parsed)
        return plan

    for doc, plan in zip(documents, mine, strict=True):
        pool = [*stored.values(), *(p for p in mine if p.key != plan.key)]
        candidates = superior_candidates(plan, pool)[:CANDIDATES]
        best = candidates[0].parent if candidates else None
        doc.proposals = {
            "superior": {
                "plan_id": best.key if best else None,
                "candidates": [
                    {**plan_ref(c.parent), "score": c.score, "reason": c.reason}
                    for c in candidates
                    if c.parent is not None
                ],
            },
            "measure_links": measure_proposals(measured(best), measured(plan)) if best else [],
        }


def _preview_document(preview: dict[str, Any], plan_id: str) -> tuple[int, dict[str, Any]]:
    """The previewed document of `plan_id` and its place in the file."""
    for d, doc in enumerate(preview.get("documents", [])):
        if doc["plan_id"] == plan_id:
            return d, doc
    raise NotFound("导入预览中没有该方案")


async def _editable_preview(tx: Transaction, import_id: str, actor: User) -> Any:
    row = await _import_row(tx.conn, import_id, actor)
    if row.status == "confirmed":
        raise DomainError("该导入已确认，请到方案页面调整上级方案和措施对应关系")
    return row


async def _import_row(conn: AsyncConnection, import_id: str, actor: User) -> Any:
    """The import, if `actor` may handle it: another supervisor's is as absent as a missing one."""
    row = await repo.get_plan_import(conn, import_id)
    if row is None or not authz.can_manage_import(actor, row.created_by):
        raise NotFound("导入记录不存在")
    return row


async def choose_superior_in_preview(
    ledger: Ledger, actor: User, import_id: str, plan_id: str, superior_plan_id: str | None
) -> dict[str, Any]:
    """The user confirms or changes a previewed document's superior plan (None: none); the
    measure links are proposed again against the chosen plan."""
    async with ledger.transaction() as tx:
        row = await _editable_preview(tx, import_id, actor)
        preview = await repo.load_preview(tx.conn, import_id, row.preview)
        d, doc = _preview_document(preview, plan_id)
        if superior_plan_id == plan_id:
            raise DomainError("方案不能以自身为上级方案")
        superior = None
        if superior_plan_id is not None:
            superior = await _superior_plan(tx.conn, actor, preview, superior_plan_id)
        subordinate = preview_plan(doc)
        doc["superior"] = {**(doc.get("superior") or {}), "plan_id": superior_plan_id}
        doc["measure_links"] = (
            await asyncio.to_thread(measure_proposals, superior, subordinate) if superior else []
        )
        await _store_preview(tx, row, preview)
        tx.audit(
            actor.id,
            "plan_import.superior",
            "plan_import",
            import_id,
            None,
            {"plan_id": plan_id, "superior_plan_id": superior_plan_id},
        )
        return await _answered(tx, import_id, d, doc, ledger)


async def _superior_plan(
    conn: AsyncConnection, actor: User, preview: dict[str, Any], plan_id: str
) -> Plan:
    for doc in preview.get("documents", []):
        if doc["plan_id"] == plan_id:
            return preview_plan(doc)
    row = await links.get_plan(conn, plan_id)
    if row is None or not authz.can_view_plan(actor, plan_id):
        raise NotFound("上级方案不存在")
    return (await stored_plans(conn, [row]))[row.id]


async def decide_in_preview(
    ledger: Ledger,
    actor: User,
    import_id: str,
    plan_id: str,
    decisions: dict[tuple[str, str], str],
) -> dict[str, Any]:
    """Accept (`confirmed`) or reject (`rejected`) proposed measure links of a preview."""
    check_statuses(decisions.values())
    async with ledger.transaction() as tx:
        row = await _editable_preview(tx, import_id, actor)
        preview = dict(row.preview or {})  # its documents: the links are theirs
        d, doc = _preview_document(preview, plan_id)
        known = {(m["measure_id"], m["superior_measure_id"]): m for m in doc["measure_links"]}
        for key, status in decisions.items():
            if key not in known:
                raise NotFound("预览中没有这条措施对应关系")
            known[key]["status"] = status
        await _store_preview(tx, row, preview)
        tx.audit(
            actor.id,
            "plan_import.measure_links",
            "plan_import",
            import_id,
            None,
            {"plan_id": plan_id, "decisions": {"|".join(k): v for k, v in decisions.items()}},
        )
        return await _answered(tx, import_id, d, doc, ledger)


async def _answered(
    tx: Transaction, import_id: str, d: int, doc: dict[str, Any], ledger: Ledger
) -> dict[str, Any]:
    """The changed document as every preview answer carries it: its first page of measures."""
    page_size = ledger.settings.preview_page_size
    return await repo.document_first_page(tx.conn, import_id, d, doc, page_size)


async def _store_preview(tx: Transaction, row: Any, preview: dict[str, Any]) -> None:
    """The documents' superior and links changed, never their measures."""
    await repo.store_preview_header(tx.conn, row.id, preview)


async def store_confirmed_preview(tx: Transaction, actor: User, doc: dict[str, Any]) -> None:
    """On import confirmation: the chosen superior and every measure link not rejected
    (confirmed: the user reviewed them in the preview)."""
    superior_id = (doc.get("superior") or {}).get("plan_id")
    if not superior_id:
        return
    candidates = {c["plan_id"]: c for c in (doc.get("superior") or {}).get("candidates", [])}
    chosen = candidates.get(superior_id, {})
    await store_plan_link(
        tx, actor, doc["plan_id"], superior_id, chosen.get("score"), chosen.get("reason")
    )
    found = doc.get("measure_links") or []
    for status in ("confirmed", "rejected"):
        chosen_links = [
            link for link in found if (link["status"] == "rejected") == (status == "rejected")
        ]
        await store_measure_links(
            tx, actor, doc["plan_id"], superior_id, chosen_links, status, replace=True
        )
