"""What the plan page's indicator conflicts read: the indicators of a plan's (or of some
measures') own tasks with their measures, and the choices people made on them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t

_PLACES = (
    select(
        t.indicators.c.id,
        t.indicators.c.task_id,
        t.indicators.c.measure_id,
        t.indicators.c.name,
        t.indicators.c.unit,
        t.indicators.c.target,
        t.indicators.c.due_on,
        t.indicators.c.kind,
        t.indicators.c.source_text,
        t.measures.c.label,
        t.measures.c.plan_id,
        t.measures.c.position.label("measure_position"),
    )
    .join(t.measures, t.measures.c.id == t.indicators.c.measure_id)
    .join(t.tasks, t.tasks.c.id == t.indicators.c.task_id)
    .where(t.indicators.c.dropped.is_(False), t.tasks.c.parent_task_id.is_(None))
    .order_by(t.measures.c.position, t.indicators.c.position, t.indicators.c.id)
)


async def plan_indicator_places(conn: AsyncConnection, plan_id: str) -> list[Any]:
    return list((await conn.execute(_PLACES.where(t.measures.c.plan_id == plan_id))).all())


async def untasked_measures(conn: AsyncConnection, plan_id: str) -> list[Any]:
    """The plan's measures no task was registered for (a 目标任务 section, say): their targets
    were never made indicators, but they still state figures."""
    tasked = select(t.tasks.c.measure_id).where(t.tasks.c.plan_id == plan_id)
    query = (
        select(t.measures.c.id, t.measures.c.label, t.measures.c.position, t.measures.c.targets)
        .where(t.measures.c.plan_id == plan_id, t.measures.c.id.not_in(tasked))
        .order_by(t.measures.c.position)
    )
    return [r for r in await conn.execute(query) if r.targets]


async def measure_indicator_places(conn: AsyncConnection, measure_ids: Sequence[str]) -> list[Any]:
    if not measure_ids:
        return []
    query = _PLACES.where(t.indicators.c.measure_id.in_(list(measure_ids)))
    return list((await conn.execute(query)).all())


async def conflict_decisions(conn: AsyncConnection, plan_id: str) -> dict[str, Any]:
    table = t.indicator_conflict_decisions
    rows = await conn.execute(select(table).where(table.c.plan_id == plan_id))
    return {r.conflict_id: r for r in rows}


async def put_conflict_decision(
    conn: AsyncConnection,
    plan_id: str,
    conflict_id: str,
    fingerprint: str,
    choice: str,
    actor_id: str,
    at: datetime,
) -> None:
    table = t.indicator_conflict_decisions
    await conn.execute(
        delete(table).where(table.c.plan_id == plan_id, table.c.conflict_id == conflict_id)
    )
    await conn.execute(
        insert(table).values(
            plan_id=plan_id,
            conflict_id=conflict_id,
            fingerprint=fingerprint[:400],
            choice=choice,
            decided_by=actor_id,
            decided_at=at,
        )
    )


async def imports_of_plan(conn: AsyncConnection, plan_id: str) -> list[Any]:
    """The confirmed import(s) that created the plan, with their previews."""
    table = t.plan_imports
    query = select(table.c.id, table.c.plan_ids).where(table.c.status == "confirmed")
    ids = [r.id for r in await conn.execute(query) if plan_id in (r.plan_ids or ())]
    if not ids:
        return []
    return list((await conn.execute(select(table).where(table.c.id.in_(ids)))).all())
