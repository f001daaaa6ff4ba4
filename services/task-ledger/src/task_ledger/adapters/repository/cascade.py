"""Plan cascade: plan links (subordinate → superior plan) and measure links (subordinate →
superior measure), and what the coverage view and the matching read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t


async def get_plan(conn: AsyncConnection, plan_id: str) -> Any:
    return (await conn.execute(select(t.plans).where(t.plans.c.id == plan_id))).first()


async def list_plans_except(conn: AsyncConnection, exclude: Sequence[str]) -> list[Any]:
    query = select(t.plans).order_by(t.plans.c.created_at, t.plans.c.id)
    if exclude:
        query = query.where(t.plans.c.id.not_in(list(exclude)))
    return list((await conn.execute(query)).all())


async def plans_by_id(conn: AsyncConnection, plan_ids: Sequence[str]) -> list[Any]:
    if not plan_ids:
        return []
    query = select(t.plans).where(t.plans.c.id.in_(list(plan_ids)))
    return list((await conn.execute(query)).all())


async def measures_of(conn: AsyncConnection, plan_ids: Sequence[str]) -> list[Any]:
    if not plan_ids:
        return []
    query = (
        select(t.measures)
        .where(t.measures.c.plan_id.in_(list(plan_ids)))
        .order_by(t.measures.c.plan_id, t.measures.c.position)
    )
    return list((await conn.execute(query)).all())


async def measure_tasks(conn: AsyncConnection, measure_ids: Sequence[str]) -> list[Any]:
    """The tasks registered for measures (top level: a decomposed task's children are its
    own business; its progress already speaks for them)."""
    if not measure_ids:
        return []
    query = (
        select(t.tasks)
        .where(t.tasks.c.measure_id.in_(list(measure_ids)), t.tasks.c.parent_task_id.is_(None))
        .order_by(t.tasks.c.measure_id, t.tasks.c.id)
    )
    return list((await conn.execute(query)).all())


async def get_plan_link(conn: AsyncConnection, plan_id: str) -> Any:
    return (
        await conn.execute(select(t.plan_links).where(t.plan_links.c.plan_id == plan_id))
    ).first()


async def subordinate_links(conn: AsyncConnection, superior_plan_id: str) -> list[Any]:
    query = (
        select(t.plan_links)
        .where(t.plan_links.c.superior_plan_id == superior_plan_id)
        .order_by(t.plan_links.c.confirmed_at, t.plan_links.c.plan_id)
    )
    return list((await conn.execute(query)).all())


async def set_plan_link(
    conn: AsyncConnection,
    plan_id: str,
    superior_plan_id: str | None,
    score: float | None,
    reason: str | None,
    actor_id: str,
    now: datetime,
) -> None:
    """Replace the plan's link (None: unlink)."""
    await conn.execute(delete(t.plan_links).where(t.plan_links.c.plan_id == plan_id))
    if superior_plan_id is not None:
        await conn.execute(
            insert(t.plan_links).values(
                plan_id=plan_id,
                superior_plan_id=superior_plan_id,
                score=score,
                reason=(reason or "")[:500] or None,
                confirmed_by=actor_id,
                confirmed_at=now,
            )
        )


async def measure_links_of(conn: AsyncConnection, plan_id: str) -> list[Any]:
    """The links of a subordinate plan's measures."""
    query = (
        select(t.measure_links)
        .where(t.measure_links.c.plan_id == plan_id)
        .order_by(t.measure_links.c.measure_id, t.measure_links.c.superior_measure_id)
    )
    return list((await conn.execute(query)).all())


async def confirmed_links_to(conn: AsyncConnection, superior_plan_id: str) -> list[Any]:
    query = select(t.measure_links).where(
        t.measure_links.c.superior_plan_id == superior_plan_id,
        t.measure_links.c.status == "confirmed",
    )
    return list((await conn.execute(query)).all())


async def delete_measure_links(conn: AsyncConnection, plan_id: str) -> None:
    await conn.execute(delete(t.measure_links).where(t.measure_links.c.plan_id == plan_id))


async def delete_measure_link(
    conn: AsyncConnection, measure_id: str, superior_measure_id: str
) -> None:
    key = and_(
        t.measure_links.c.measure_id == measure_id,
        t.measure_links.c.superior_measure_id == superior_measure_id,
    )
    await conn.execute(delete(t.measure_links).where(key))


async def insert_measure_links(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(insert(t.measure_links), list(rows))
