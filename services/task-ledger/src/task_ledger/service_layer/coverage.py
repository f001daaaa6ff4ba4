"""The coverage view of a superior plan (issue 24): its measures × its subordinate plans, who
takes each measure up where, their lead departments, lights and progress, and the measures no
one takes up. Read by the API, the page and the monthly report (see `domain.coverage` for the
roll-up rule)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from duban_cascade.jurisdiction import rank as jurisdiction_rank
from duban_contracts.vocabulary import Light
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import cascade as links
from task_ledger.domain import authz
from task_ledger.domain import coverage as rules
from task_ledger.domain.errors import NotAllowed, NotFound
from task_ledger.domain.light import light
from task_ledger.domain.model import Task, User
from task_ledger.service_layer.uow import Ledger

Scope = tuple[str, ...] | None


async def coverage_of(ledger: Ledger, actor: User, plan_id: str) -> dict[str, Any]:
    """Overseers whose scope covers the plan; they see the subordinate plans of their scope."""
    if actor.role not in authz.OVERSEERS:
        raise NotAllowed("只有督查、领导小组和管理员可以查看下级落实情况")
    if not authz.can_view_plan(actor, plan_id):
        raise NotFound("方案不存在或无权查看")
    async with ledger.reading() as conn:
        found = await plan_coverage(
            conn, plan_id, ledger.today(), ledger.settings.warning_days, authz.plan_scope(actor)
        )
    if found is None:
        raise NotFound("方案不存在或无权查看")
    return found


def _plan(row: Any) -> dict[str, Any]:
    return {
        "plan_id": row.id,
        "title": row.title,
        "doc_number": row.doc_number,
        "jurisdiction": row.jurisdiction,
    }


async def plan_coverage(
    conn: AsyncConnection, plan_id: str, today: date, warning_days: int, scope: Scope = None
) -> dict[str, Any] | None:
    plan = await links.get_plan(conn, plan_id)
    if plan is None:
        return None
    sub_ids = [
        r.plan_id
        for r in await links.subordinate_links(conn, plan_id)
        if scope is None or r.plan_id in scope
    ]
    subs = {r.id: r for r in await links.plans_by_id(conn, sub_ids)}
    sub_ids = sorted((i for i in sub_ids if i in subs), key=lambda i: column_order(subs[i]))
    confirmed = [r for r in await links.confirmed_links_to(conn, plan_id) if r.plan_id in subs]
    measures = await links.measures_of(conn, [plan_id, *sub_ids])
    by_id = {m.id: m for m in measures}
    tasks: dict[str, list[Task]] = defaultdict(list)
    for row in await links.measure_tasks(conn, list({r.measure_id for r in confirmed})):
        tasks[row.measure_id].append(repo.task_from(row))
    names = await repo.get_departments(
        conn, list({d for ts in tasks.values() for t in ts for d in t.lead_department_ids})
    )
    # superior measure -> subordinate plan -> its implementing measures
    taken: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in sorted(confirmed, key=lambda r: (by_id[r.measure_id].position, r.measure_id)):
        if r.measure_id in by_id:
            taken[r.superior_measure_id][r.plan_id].append(r.measure_id)

    def implementation(measure_id: str) -> dict[str, Any]:
        m = by_id[measure_id]
        return {
            "measure_id": m.id,
            "label": m.label,
            "title": m.title,
            "tasks": [
                {
                    "task_id": task.id,
                    "title": task.title,
                    "status": task.status.value,
                    "lead_departments": [
                        names[d].name if d in names else d for d in task.lead_department_ids
                    ],
                    "light": light(task, today, warning_days).value,
                    "progress": task.progress,
                }
                for task in tasks.get(m.id, [])
            ],
        }

    rows = []
    per_sub: dict[str, list[float]] = defaultdict(list)
    for m in (m for m in measures if m.plan_id == plan_id):
        cells = []
        for sub_id in sub_ids:
            impl = [implementation(i) for i in taken[m.id].get(sub_id, [])]
            progress = rules.plan_progress([t["progress"] for i in impl for t in i["tasks"]])
            lights = [t["light"] for i in impl for t in i["tasks"]]
            cells.append(
                {
                    "plan_id": sub_id,
                    "covered": bool(impl),
                    "progress": progress,
                    "light": _worst(lights),
                    "implementations": impl,
                }
            )
            if progress is not None:
                per_sub[sub_id].append(progress)
        covered_by = sum(1 for c in cells if c["covered"])
        rows.append(
            {
                "measure_id": m.id,
                "label": m.label,
                "title": m.title,
                "covered_by": covered_by,
                "uncovered": covered_by == 0,
                "progress": rules.measure_progress([c["progress"] for c in cells]),
                "cells": cells,
            }
        )
    subordinates = [
        {
            **_plan(subs[sub_id]),
            "measures_covered": sum(1 for r in rows if r["cells"][n]["covered"]),
            "progress": rules.mean(per_sub[sub_id]),
        }
        for n, sub_id in enumerate(sub_ids)
    ]
    return {
        "plan": _plan(plan),
        "rule": rules.ROLLUP_RULE,
        "subordinates": subordinates,
        "measures": rows,
        "uncovered": [
            {"measure_id": r["measure_id"], "label": r["label"], "title": r["title"]}
            for r in rows
            if r["uncovered"]
        ],
    }


def column_order(plan: Any) -> tuple[int, str, str, str]:
    """Subordinate plans (the matrix's columns) by jurisdiction, not by when they were linked:
    provinces before cities before counties, then by the jurisdiction's name; plans of unknown
    level last."""
    level = jurisdiction_rank(plan.jurisdiction)
    return (9 if level is None else level, plan.jurisdiction or "", plan.title, plan.id)


def _worst(lights: list[str]) -> str | None:
    found = rules.worst(Light(v) for v in lights)
    return found.value if found else None


async def report_summary(
    conn: AsyncConnection, plan_id: str, today: date, warning_days: int, scope: Scope = None
) -> rules.CoverageSummary | None:
    """The monthly report's 下级落实情况 (None: no subordinate plan implements this plan)."""
    # Most plans have no subordinate plan: one look at the links, not the whole matrix's reads.
    if not any(
        scope is None or r.plan_id in scope for r in await links.subordinate_links(conn, plan_id)
    ):
        return None
    found = await plan_coverage(conn, plan_id, today, warning_days, scope)
    if found is None or not found["subordinates"]:
        return None
    subordinates = []
    for n, sub in enumerate(found["subordinates"]):
        tasks = {
            t["task_id"]: t["light"]
            for m in found["measures"]
            for i in m["cells"][n]["implementations"]
            for t in i["tasks"]
        }
        subordinates.append(
            rules.SubordinateSummary(
                title=sub["title"],
                jurisdiction=sub["jurisdiction"],
                measures_covered=sub["measures_covered"],
                measures_total=len(found["measures"]),
                progress=sub["progress"],
                lights={lt.value: sum(1 for v in tasks.values() if v == lt.value) for lt in Light},
            )
        )
    return rules.CoverageSummary(
        subordinates=tuple(subordinates),
        uncovered=tuple((m["label"], m["title"]) for m in found["uncovered"]),
    )
