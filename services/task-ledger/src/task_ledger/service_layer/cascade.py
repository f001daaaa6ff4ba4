"""Plan cascade in the ledger (issue 24): propose a plan's superior plan and its measure links
when it is imported, let a supervisor confirm or change them (in the import preview or later on
the plan), store them and announce every change.

Matching is `duban_cascade`'s; this module only turns the ledger's plans (stored rows or an
import preview) into its `Plan`s, with the ledger's plan and measure ids as keys, so that what
it proposes names ledger ids directly.

The import preview's side is `cascade_preview`. Status of a measure link: `proposed` (the
matcher's, not yet looked at), `confirmed`, `rejected` (kept, so that relinking does not propose
it again as new). Confirming an import confirms every proposal of its preview the user did not
reject: the user has reviewed them there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from duban_cascade import Plan, PlanMeasure, department_function, link_measures
from duban_contracts.events import MeasureLinkChanged, PlanLinkChanged
from task_ledger.adapters.repository import cascade as links
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed, NotFound
from task_ledger.domain.model import User
from task_ledger.service_layer.uow import Ledger, Transaction

STATUSES = ("proposed", "confirmed", "rejected")
# How many superior plans the import preview offers besides the best one.
CANDIDATES = 5


# --- the ledger's plans as duban_cascade plans ----------------------------------------------
def _functions(names: Iterable[str], jurisdiction: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(department_function(n, jurisdiction) for n in names))


def preview_plan(doc: dict[str, Any], parsed: Plan | None = None) -> Plan:
    """An import preview's document; `parsed` (the same document parsed by duban_cascade) adds
    its citations, which only the document's text holds."""
    measures = []
    for m in doc["measures"]:
        names = [d["name"] for d in (*m["lead"], *m["supporting"])]
        measures.append(
            PlanMeasure(
                key=m["id"],
                label=m["label"],
                title=m["title"],
                text=m["text"],
                departments=tuple(names),
                functions=_functions(names, doc.get("jurisdiction")),
                targets=tuple(t.get("text", "") for t in m.get("targets") or []),
            )
        )
    plan = Plan(
        key=doc["plan_id"],
        title=doc["title"],
        doc_number=doc.get("doc_number"),
        jurisdiction=doc.get("jurisdiction"),
        measures=tuple(measures),
    )
    if parsed is not None:
        plan = replace(plan, citations=parsed.citations, aliases=parsed.aliases)
    return plan


def stored_plan(row: Any, measures: Sequence[Any]) -> Plan:
    return Plan(
        key=row.id,
        title=row.title,
        doc_number=row.doc_number,
        jurisdiction=row.jurisdiction,
        measures=tuple(
            PlanMeasure(
                key=m.id,
                label=m.label,
                title=m.title,
                text=m.text,
                targets=tuple(t.get("text", "") for t in m.targets or []),
            )
            for m in measures
        ),
    )


async def stored_plans(conn: AsyncConnection, rows: Sequence[Any]) -> dict[str, Plan]:
    measures: dict[str, list[Any]] = {r.id: [] for r in rows}
    for m in await links.measures_of(conn, list(measures)):
        measures[m.plan_id].append(m)
    return {r.id: stored_plan(r, measures[r.id]) for r in rows}


def plan_ref(plan: Plan) -> dict[str, Any]:
    return {
        "plan_id": plan.key,
        "title": plan.title,
        "doc_number": plan.doc_number,
        "jurisdiction": plan.jurisdiction,
    }


def measure_proposals(superior: Plan, subordinate: Plan) -> list[dict[str, Any]]:
    """The matcher's measure links, as the preview and the API show them."""
    matching = link_measures(superior, subordinate)
    return [
        {
            "measure_id": link.child.key,
            "label": link.child.label,
            "title": link.child.title,
            "superior_measure_id": link.parent.key,
            "superior_label": link.parent.label,
            "superior_title": link.parent.title,
            "score": round(link.score, 3),
            "reason": link.reason,
            "status": "proposed",
        }
        for link in matching.links
    ]


def check_statuses(statuses: Iterable[str]) -> None:
    for status in statuses:
        if status not in ("confirmed", "rejected"):
            raise DomainError("措施对应关系只能确认（confirmed）或驳回（rejected）")


async def store_plan_link(
    tx: Transaction,
    actor: User,
    plan_id: str,
    superior_id: str | None,
    score: float | None = None,
    reason: str | None = None,
) -> None:
    before = await links.get_plan_link(tx.conn, plan_id)
    previous = before.superior_plan_id if before is not None else None
    await links.set_plan_link(tx.conn, plan_id, superior_id, score, reason, actor.id, tx.now)
    tx.emit(
        PlanLinkChanged(
            plan_id=plan_id,
            superior_plan_id=superior_id,
            previous_superior_plan_id=previous,
            actor_id=actor.id,
        )
    )
    tx.audit(
        actor.id,
        "plan.link",
        "plan",
        plan_id,
        {"superior_plan_id": previous},
        {"superior_plan_id": superior_id, "score": score},
    )


async def store_measure_link(
    tx: Transaction,
    actor: User,
    plan_id: str,
    superior_id: str,
    link: dict[str, Any],
    status: str,
) -> None:
    await store_measure_links(tx, actor, plan_id, superior_id, [link], status, replace=True)


async def store_measure_links(
    tx: Transaction,
    actor: User,
    plan_id: str,
    superior_id: str,
    found: Sequence[dict[str, Any]],
    status: str,
    replace: bool = False,
) -> None:
    """Store links with one status (one insert for all: a relink proposes hundreds) and
    announce each; `replace`: a stored link of the same pair goes first."""
    decided = status != "proposed"
    rows = [
        {
            "measure_id": link["measure_id"],
            "superior_measure_id": link["superior_measure_id"],
            "plan_id": plan_id,
            "superior_plan_id": superior_id,
            "score": link.get("score"),
            "reason": (link.get("reason") or "")[:1000] or None,
            "status": status,
            "decided_by": actor.id if decided else None,
            "decided_at": tx.now if decided else None,
        }
        for link in found
    ]
    if replace:
        for row in rows:
            await links.delete_measure_link(tx.conn, row["measure_id"], row["superior_measure_id"])
    await links.insert_measure_links(tx.conn, rows)
    for row in rows:
        score = row["score"]
        tx.emit(
            MeasureLinkChanged(
                plan_id=plan_id,
                measure_id=row["measure_id"],
                superior_plan_id=superior_id,
                superior_measure_id=row["superior_measure_id"],
                status=status,  # type: ignore[arg-type]  # checked by the callers
                score=min(1.0, max(0.0, float(score))) if score is not None else None,
                actor_id=actor.id,
            )
        )


# --- after import: the plan page and the API ---------------------------------------------
def _require_plan_decider(actor: User, plan_id: str) -> None:
    if not authz.is_decider(actor):
        raise NotAllowed("只有督查人员可以调整方案的上下级关系")
    if not authz.can_view_plan(actor, plan_id):
        raise NotFound("方案不存在或无权查看")


async def plan_links_of(ledger: Ledger, actor: User, plan_id: str) -> dict[str, Any]:
    """A plan's superior and the links of its measures (overseers of the plan)."""
    if not authz.can_view_plan(actor, plan_id):
        raise NotFound("方案不存在或无权查看")
    async with ledger.reading() as conn:
        return await _links_view(conn, plan_id)


async def _links_view(conn: AsyncConnection, plan_id: str) -> dict[str, Any]:
    row = await links.get_plan(conn, plan_id)
    if row is None:
        raise NotFound("方案不存在或无权查看")
    link = await links.get_plan_link(conn, plan_id)
    rows = await links.measure_links_of(conn, plan_id)
    measures = {
        m.id: m
        for m in await links.measures_of(
            conn, [plan_id, *([link.superior_plan_id] if link else [])]
        )
    }
    superior = await links.get_plan(conn, link.superior_plan_id) if link else None

    def described(r: Any) -> dict[str, Any]:
        mine, theirs = measures.get(r.measure_id), measures.get(r.superior_measure_id)
        return {
            "measure_id": r.measure_id,
            "label": mine.label if mine else "",
            "title": mine.title if mine else "",
            "superior_measure_id": r.superior_measure_id,
            "superior_label": theirs.label if theirs else "",
            "superior_title": theirs.title if theirs else "",
            "score": r.score,
            "reason": r.reason or "",
            "status": r.status,
        }

    return {
        "plan_id": plan_id,
        "superior": (
            {
                "plan_id": superior.id,
                "title": superior.title,
                "doc_number": superior.doc_number,
                "jurisdiction": superior.jurisdiction,
                "confirmed_by": link.confirmed_by,
                "confirmed_at": link.confirmed_at,
            }
            if superior is not None and link is not None
            else None
        ),
        "measure_links": [described(r) for r in rows],
    }


async def relink_choices(ledger: Ledger, actor: User, plan_id: str) -> dict[str, Any]:
    """What the plan page's relink form offers: the plan's measures and its superior's (for a
    link the matcher left out); the superior plans to choose from are the user's plans."""
    _require_plan_decider(actor, plan_id)
    async with ledger.reading() as conn:
        link = await links.get_plan_link(conn, plan_id)
        superior_id = link.superior_plan_id if link is not None else None
        rows = await links.measures_of(conn, [plan_id, *filter(None, [superior_id])])

    def listed(owner: str | None) -> list[dict[str, str]]:
        return [
            {"measure_id": m.id, "label": m.label, "title": m.title}
            for m in rows
            if m.plan_id == owner
        ]

    return {"measures": listed(plan_id), "superior_measures": listed(superior_id)}


async def link_plan(
    ledger: Ledger, actor: User, plan_id: str, superior_plan_id: str | None
) -> dict[str, Any]:
    """Link (or relink, or unlink) a stored plan; the measure links are proposed again against
    the new superior (the old plan's links go: they named its measures)."""
    _require_plan_decider(actor, plan_id)
    if superior_plan_id == plan_id:
        raise DomainError("方案不能以自身为上级方案")
    async with ledger.transaction() as tx:
        rows = await links.plans_by_id(tx.conn, [plan_id, *filter(None, [superior_plan_id])])
        found = {r.id: r for r in rows}
        if plan_id not in found:
            raise NotFound("方案不存在或无权查看")
        if superior_plan_id is not None and (
            superior_plan_id not in found or not authz.can_view_plan(actor, superior_plan_id)
        ):
            raise NotFound("上级方案不存在")
        if superior_plan_id is not None and await _reaches(tx.conn, superior_plan_id, plan_id):
            raise DomainError("该方案已是所选方案的上级，不能互为上级")
        await links.delete_measure_links(tx.conn, plan_id)
        await store_plan_link(tx, actor, plan_id, superior_plan_id)
        if superior_plan_id is not None:
            plans = await stored_plans(tx.conn, [found[plan_id], found[superior_plan_id]])
            proposals = await asyncio.to_thread(
                measure_proposals, plans[superior_plan_id], plans[plan_id]
            )
            # The plan's links were all deleted above: nothing to replace.
            await store_measure_links(tx, actor, plan_id, superior_plan_id, proposals, "proposed")
        return await _links_view(tx.conn, plan_id)


async def _reaches(conn: AsyncConnection, start: str, target: str) -> bool:
    """Whether `target` is `start` or one of its superiors (a link would close a cycle)."""
    seen: set[str] = set()
    current: str | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        link = await links.get_plan_link(conn, current)
        current = link.superior_plan_id if link is not None else None
    return False


async def decide_links(
    ledger: Ledger,
    actor: User,
    plan_id: str,
    decisions: dict[tuple[str, str], str],
) -> dict[str, Any]:
    """Confirm or reject measure links of a stored plan; a pair not proposed yet is added
    (a person may link what the matcher left out), if both measures belong to the plans."""
    _require_plan_decider(actor, plan_id)
    check_statuses(decisions.values())
    async with ledger.transaction() as tx:
        link = await links.get_plan_link(tx.conn, plan_id)
        if link is None:
            raise DomainError("请先确定该方案的上级方案")
        measures = {
            m.id: m for m in await links.measures_of(tx.conn, [plan_id, link.superior_plan_id])
        }
        existing = {
            (r.measure_id, r.superior_measure_id): r
            for r in await links.measure_links_of(tx.conn, plan_id)
        }
        for (measure_id, superior_measure_id), status in decisions.items():
            mine, theirs = measures.get(measure_id), measures.get(superior_measure_id)
            if mine is None or mine.plan_id != plan_id:
                raise NotFound("措施不属于该方案")
            if theirs is None or theirs.plan_id != link.superior_plan_id:
                raise NotFound("上级措施不属于上级方案")
            old = existing.get((measure_id, superior_measure_id))
            proposal = {
                "measure_id": measure_id,
                "superior_measure_id": superior_measure_id,
                "score": old.score if old is not None else None,
                "reason": old.reason if old is not None else "人工添加",
            }
            await store_measure_link(tx, actor, plan_id, link.superior_plan_id, proposal, status)
        return await _links_view(tx.conn, plan_id)
