"""Indicator conflicts on a plan after import (docs/indicators.md): the same indicator stated
with different values, dates or kinds in two measures of the plan (a 目标任务 section and a
measure: 力争培育打造国家级劳务品牌15个 vs 新增国家级劳务品牌5个), or by the plan and by the
superior measure a confirmed link says it implements. The plan page shows both sentences and a
supervisor chooses: `first` (the first place's value, date and kind are copied onto the
second's indicator), `second` (the reverse; within the plan only: a superior plan's indicator
is not the subordinate's to change), or `both` (both stand, e.g. a total and an increment, or a
local target that differs from the superior's on purpose).

A decision is kept with the two statements it was made on (its fingerprint): when an edit
makes them differ anew, the conflict asks again. A conflict already decided in the import
preview counts as decided."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import cascade as links
from task_ledger.adapters.repository import indicator_conflicts as places_repo
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed, NotFound
from task_ledger.domain.indicators import fmt
from task_ledger.domain.model import User
from task_ledger.service_layer.indicators import preview_indicators
from task_ledger.service_layer.uow import Ledger

CHOICES = ("first", "second", "both")


@dataclass(frozen=True)
class Place:
    """Where a plan states an indicator: a task's indicator, or a target of a measure no task
    was registered for (then `task_id` is None and there is nothing to change there)."""

    id: str
    task_id: str | None
    measure_id: str
    label: str
    position: int
    name: str
    unit: str
    target: float
    due_on: date | None
    kind: str
    source_text: str


def _tracked(r: Any) -> Place:
    return Place(
        r.id,
        r.task_id,
        r.measure_id,
        r.label,
        r.measure_position,
        r.name,
        r.unit,
        r.target,
        r.due_on,
        r.kind,
        r.source_text,
    )


def _stated_only(m: Any) -> list[Place]:
    return [
        Place(
            f"{m.id}/{d['key']}",
            None,
            m.id,
            m.label,
            m.position,
            d["name"],
            d["unit"],
            float(d["target"]),
            _date(d["due"]),
            d["kind"],
            d["source_text"],
        )
        for d in preview_indicators({"targets": m.targets})
    ]


async def _plan_places(conn: AsyncConnection, plan_id: str) -> list[Place]:
    found = [_tracked(r) for r in await places_repo.plan_indicator_places(conn, plan_id)]
    for m in await places_repo.untasked_measures(conn, plan_id):
        found += _stated_only(m)
    return sorted(found, key=lambda p: p.position)


def _stated(p: Any) -> str:
    new = "新增" if p.kind == "new" else ""
    due = p.due_on.isoformat() if p.due_on else "未定时限"
    return f"{new}{fmt(p.target)}{p.unit}（{due}）"


def _differ(a: Any, b: Any) -> bool:
    return (a.target, a.due_on, a.kind) != (b.target, b.due_on, b.kind)


def _place(p: Any, plan_title: str | None = None) -> dict[str, Any]:
    return {
        "indicator_id": p.id if p.task_id is not None else None,
        "task_id": p.task_id,
        "measure_id": p.measure_id,
        "measure_label": p.label,
        "plan_title": plan_title,
        "target": p.target,
        "unit": p.unit,
        "due": p.due_on.isoformat() if p.due_on else None,
        "kind": p.kind,
        "sentence": p.source_text,
    }


def _conflict(scope: str, first: Any, second: Any, message: str, title: str | None) -> dict:
    conflict_id = hashlib.sha1(f"{first.id}/{second.id}".encode()).hexdigest()[:16]
    return {
        "id": f"cf-{conflict_id}",
        "scope": scope,
        "name": second.name,
        "unit": second.unit,
        "message": message,
        "places": [_place(first, title), _place(second)],
        "fingerprint": f"{_stated(first)}|{_stated(second)}",
        "resolution": None,
    }


def _within(places: list[Any]) -> Iterable[dict[str, Any]]:
    seen: dict[tuple[str, str], Any] = {}
    for p in places:
        first = seen.setdefault((p.name, p.unit), p)
        if first.measure_id != p.measure_id and _differ(first, p):
            yield _conflict(
                "plan",
                first,
                p,
                f"指标“{p.name}”前后不一致：{first.label}为{_stated(first)}，"
                f"{p.label}为{_stated(p)}，请确认以哪一处为准",
                None,
            )


async def _with_superior(conn: AsyncConnection, plan_id: str, mine: list[Any]) -> list[dict]:
    link = await links.get_plan_link(conn, plan_id)
    if link is None or link.superior_plan_id is None:
        return []
    superior = await links.get_plan(conn, link.superior_plan_id)
    implements: dict[str, list[str]] = {}
    for r in await links.measure_links_of(conn, plan_id):
        if r.status == "confirmed":
            implements.setdefault(r.measure_id, []).append(r.superior_measure_id)
    theirs = [
        _tracked(r)
        for r in await places_repo.measure_indicator_places(
            conn, sorted({s for ids in implements.values() for s in ids})
        )
    ]
    found = []
    for p in (p for p in mine if p.task_id is not None):
        linked = implements.get(p.measure_id, ())
        for q in theirs:
            same = q.measure_id in linked and (q.name, q.unit) == (p.name, p.unit)
            if same and _differ(q, p):
                found.append(
                    _conflict(
                        "superior",
                        q,
                        p,
                        f"指标“{p.name}”与上级方案不一致：上级措施{q.label}为{_stated(q)}，"
                        f"本方案{p.label}为{_stated(p)}，请确认是否沿用上级的目标",
                        superior.title if superior is not None else None,
                    )
                )
    return found


async def _decided_at_import(conn: AsyncConnection, plan_id: str) -> dict[str, str]:
    """Names of the conflicts the plan's import preview decided, with the choice."""
    for row in await places_repo.imports_of_plan(conn, plan_id):
        for doc in (row.preview or {}).get("documents", []):
            if doc.get("plan_id") == plan_id:
                return {
                    c["name"]: c["resolution"]
                    for c in doc.get("indicator_conflicts") or ()
                    if c.get("resolution")
                }
    return {}


async def conflicts_of(conn: AsyncConnection, plan_id: str) -> list[dict[str, Any]]:
    mine = await _plan_places(conn, plan_id)
    found = list(_within(mine)) + await _with_superior(conn, plan_id, mine)
    decided = await places_repo.conflict_decisions(conn, plan_id)
    at_import = await _decided_at_import(conn, plan_id) if found else {}
    for c in found:
        row = decided.get(c["id"])
        if row is not None and row.fingerprint == c["fingerprint"][:400]:
            c["resolution"] = row.choice
        elif c["scope"] == "plan" and c["name"] in at_import:
            c["resolution"] = at_import[c["name"]]
    return found


def _may_see(actor: User, plan_id: str) -> None:
    if actor.role not in authz.OVERSEERS:
        raise NotAllowed("只有督查、领导小组和管理员可以查看指标冲突")
    if not authz.can_view_plan(actor, plan_id):
        raise NotFound("方案不存在或无权查看")


async def plan_conflicts(ledger: Ledger, actor: User, plan_id: str) -> list[dict[str, Any]]:
    _may_see(actor, plan_id)
    async with ledger.reading() as conn:
        if await links.get_plan(conn, plan_id) is None:
            raise NotFound("方案不存在或无权查看")
        return await conflicts_of(conn, plan_id)


async def decide(
    ledger: Ledger, actor: User, plan_id: str, conflict_id: str, choice: str
) -> dict[str, Any]:
    """A supervisor's choice on one conflict of the plan (audited, on the task's timeline)."""
    _may_see(actor, plan_id)
    if not authz.is_decider(actor):
        raise NotAllowed("只有督查人员可以确认指标冲突")
    if choice not in CHOICES:
        raise DomainError("请选择以哪一处为准（first、second 或 both）")
    async with ledger.transaction() as tx:
        found = {c["id"]: c for c in await conflicts_of(tx.conn, plan_id)}
        conflict = found.get(conflict_id)
        if conflict is None:
            raise NotFound("没有这个指标冲突（可能已经一致）")
        if conflict["scope"] == "superior" and choice == "second":
            raise DomainError("上级方案的指标不能在下级方案中修改：请选择沿用上级目标或两处都保留")
        first, second = conflict["places"]
        chosen, other = (first, second) if choice == "first" else (second, first)
        if choice != "both" and other["indicator_id"] is not None:
            values = {
                "target": chosen["target"],
                "due_on": _date(chosen["due"]),
                "kind": chosen["kind"],
                "updated_at": tx.now,
            }
            await repo.update_indicator(tx.conn, other["indicator_id"], values)
            tx.timeline(
                other["task_id"],
                "indicator",
                f"按{chosen['measure_label']}统一指标：{conflict['name']}",
                actor.id,
                indicator_id=other["indicator_id"],
            )
        await places_repo.put_conflict_decision(
            tx.conn, plan_id, conflict_id, conflict["fingerprint"], choice, actor.id, tx.now
        )
        tx.audit(
            actor.id,
            "plan.resolve_indicator_conflict",
            "plan",
            plan_id,
            {"places": [first["sentence"], second["sentence"]]},
            {"conflict_id": conflict_id, "choice": choice},
        )
        return {**conflict, "resolution": choice}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
