"""The home pages' dashboards: what a liaison's department still owes this period, and a
supervisor's desk (completions and extensions awaiting a decision, escalations, open notices,
missed monthly reports), within the supervisor's plans (`queries.Scope`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from task_ledger.adapters import tables as t
from task_ledger.service_layer.queries import Scope, in_scope


async def _awaiting(
    conn: AsyncConnection,
    table: Table,
    unanswered: Any,
    order: Any,
    scope: Scope,
    *extra: Any,
    where: Any = None,
) -> list[Any]:
    """Rows of `table` still waiting for an answer (`unanswered` is null, and `where`), each
    with its task's title (and `extra` task columns), in the plans of `scope`."""
    query = (
        select(table, t.tasks.c.title.label("task_title"), *extra)
        .join(t.tasks, t.tasks.c.id == table.c.task_id)
        .where(unanswered.is_(None), *([] if where is None else [where]))
        .order_by(order)
    )
    return list((await conn.execute(in_scope(query, scope))).all())


async def reported_task_ids(conn: AsyncConnection, department_id: str, period: str) -> set[str]:
    """Tasks my department has already reported on this period."""
    rows = await conn.execute(
        select(t.progress_reports.c.task_id).where(
            t.progress_reports.c.department_id == department_id,
            t.progress_reports.c.period == period,
        )
    )
    return {r.task_id for r in rows}


async def monthly_request(conn: AsyncConnection, department_id: str, period: str) -> Any:
    return (
        await conn.execute(
            select(t.monthly_reports).where(
                t.monthly_reports.c.department_id == department_id,
                t.monthly_reports.c.period == period,
            )
        )
    ).first()


# --- a supervisor's desk (callers check the role) ------------------------------------------
async def pending_completions(conn: AsyncConnection, scope: Scope = None) -> list[Any]:
    c = t.completion_requests
    return await _awaiting(conn, c, c.c.decision, c.c.created_at, scope)


async def pending_extensions(conn: AsyncConnection, scope: Scope = None) -> list[Any]:
    e = t.extension_requests
    due_on = t.tasks.c.due_on.label("task_due_on")
    return await _awaiting(conn, e, e.c.decision, e.c.created_at, scope, due_on)


async def escalations(conn: AsyncConnection, scope: Scope = None, limit: int = 30) -> list[Any]:
    """Escalations from the deadline-watcher and overdue notices, newest first."""
    query = (
        select(t.timeline, t.tasks.c.title.label("task_title"))
        .join(t.tasks, t.tasks.c.id == t.timeline.c.task_id)
        .where(t.timeline.c.kind.in_(["escalation", "overdue"]))
        .order_by(t.timeline.c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(in_scope(query, scope))).all())


async def open_notices(conn: AsyncConnection, scope: Scope = None) -> list[Any]:
    n = t.supervision_notices
    return await _awaiting(conn, n, n.c.answer, n.c.reply_due_on, scope)


async def missing_reports(conn: AsyncConnection, scope: Scope = None, limit: int = 50) -> list[Any]:
    m = t.monthly_reports
    query = (
        select(m)
        .where(m.c.missing.is_(True))
        .order_by(m.c.period.desc(), m.c.consecutive_misses.desc())
        .limit(limit)
    )
    if scope is not None:  # departments taking part in the supervisor's plans
        taking_part = (
            select(t.task_departments.c.department_id)
            .join(t.tasks, t.tasks.c.id == t.task_departments.c.task_id)
            .where(t.tasks.c.plan_id.in_(scope))
        )
        query = query.where(m.c.department_id.in_(taking_part))
    return list((await conn.execute(query)).all())


async def notices_for_department(conn: AsyncConnection, department_id: str) -> list[Any]:
    n = t.supervision_notices
    mine = n.c.department_id == department_id
    return await _awaiting(conn, n, n.c.answer, n.c.reply_due_on, None, where=mine)
