"""Tasks: loading, locking, storing and listing the task rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from duban_contracts.vocabulary import EscalationLevel, TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.adapters.repository.indicators import with_indicators
from task_ledger.domain.model import Task


def task_from(row: Any) -> Task:
    return Task(
        id=row.id,
        plan_id=row.plan_id,
        measure_id=row.measure_id,
        title=row.title,
        lead_department_ids=tuple(row.lead_department_ids or ()),
        supporting_department_ids=tuple(row.supporting_department_ids or ()),
        status=TaskStatus(row.status),
        due_on=row.due_on,
        original_due_on=row.original_due_on,
        start_on=row.start_on,
        progress=row.progress,
        parent_task_id=row.parent_task_id,
        escalation_level=EscalationLevel(row.escalation_level) if row.escalation_level else None,
        version=row.version,
    )


def task_snapshot(task: Task) -> dict[str, Any]:
    """What the audit trail records as before/after of a task."""
    return {
        "status": task.status.value,
        "due_on": task.due_on,
        "original_due_on": task.original_due_on,
        "progress": task.progress,
        "escalation_level": task.escalation_level,
    }


# The statements of the write path are built once, with bound parameters.
_task_by_id = select(t.tasks).where(t.tasks.c.id == bindparam("task_id"))
_TASK_BY_ID_FOR_UPDATE = _task_by_id.with_for_update()  # SQLite renders no FOR UPDATE
_TASKS_BY_IDS_FOR_UPDATE = (
    select(t.tasks)
    .where(t.tasks.c.id.in_(bindparam("task_ids", expanding=True)))
    .order_by(t.tasks.c.id)  # rows locked in one order, whoever asks
    .with_for_update()
)
_CHILDREN = (
    select(t.tasks).where(t.tasks.c.parent_task_id == bindparam("task_id")).order_by(t.tasks.c.id)
)
_SAVE_TASK = (
    update(t.tasks)
    .where(t.tasks.c.id == bindparam("task_id"))
    .values(
        {
            name: bindparam(name)
            for name in (
                "status",
                "due_on",
                "original_due_on",
                "start_on",
                "progress",
                "escalation_level",
                "version",
                "updated_at",
            )
        }
    )
)


async def get_task(conn: AsyncConnection, task_id: str, for_update: bool = False) -> Task | None:
    query = _TASK_BY_ID_FOR_UPDATE if for_update else _task_by_id
    row = (await conn.execute(query, {"task_id": task_id})).first()
    return task_from(row) if row else None


async def lock_tasks(conn: AsyncConnection, task_ids: list[str]) -> list[Task]:
    """The tasks of `task_ids` that exist, locked, in one statement."""
    rows = (await conn.execute(_TASKS_BY_IDS_FOR_UPDATE, {"task_ids": task_ids})).all()
    return [task_from(r) for r in rows]


async def get_children(conn: AsyncConnection, task_id: str) -> list[Task]:
    rows = (await conn.execute(_CHILDREN, {"task_id": task_id})).all()
    return [task_from(r) for r in rows]


async def get_ancestors(conn: AsyncConnection, task: Task, max_depth: int = 8) -> list[Task]:
    """The tasks `task` was split from, nearest first (town → county → city → province)."""
    chain: list[Task] = []
    parent_id = task.parent_task_id
    while parent_id is not None and len(chain) < max_depth:
        parent = await get_task(conn, parent_id)
        if parent is None or any(a.id == parent.id for a in chain):
            break
        chain.append(parent)
        parent_id = parent.parent_task_id
    return chain


async def insert_task(conn: AsyncConnection, task: Task, now: datetime) -> None:
    await conn.execute(
        insert(t.tasks).values(
            id=task.id,
            plan_id=task.plan_id,
            measure_id=task.measure_id,
            parent_task_id=task.parent_task_id,
            title=task.title,
            lead_department_ids=list(task.lead_department_ids),
            supporting_department_ids=list(task.supporting_department_ids),
            status=task.status.value,
            due_on=task.due_on,
            original_due_on=task.original_due_on,
            start_on=task.start_on,
            progress=task.progress,
            escalation_level=None,
            version=task.version,
            created_at=now,
            updated_at=now,
        )
    )
    await conn.execute(insert(t.task_departments), task_department_rows(task))


def task_department_rows(task: Task) -> list[dict[str, str]]:
    """The task's `task_department` rows: each lead, then each supporting department that is
    not also a lead."""
    roles = [(d, "lead") for d in task.lead_department_ids] + [
        (d, "supporting")
        for d in task.supporting_department_ids
        if d not in task.lead_department_ids
    ]
    return [{"task_id": task.id, "department_id": d, "role": r} for d, r in roles]


def task_save(task: Task, now: datetime) -> tuple[Executable, dict[str, Any]]:
    """The write storing a task's mutable fields (departments and identity never change)."""
    return _SAVE_TASK, {
        "task_id": task.id,
        "status": task.status.value,
        "due_on": task.due_on,
        "original_due_on": task.original_due_on,
        "start_on": task.start_on,
        "progress": task.progress,
        "escalation_level": task.escalation_level.value if task.escalation_level else None,
        "version": task.version,
        "updated_at": now,
    }


async def save_task(conn: AsyncConnection, task: Task, now: datetime) -> None:
    statement, params = task_save(task, now)
    await conn.execute(statement, params)


@dataclass(frozen=True)
class TaskFilter:
    department_id: str | None = None  # restricts to tasks where it is lead or supporting
    visible_to_department: str | None = None  # authorization restriction, same semantics
    plan_id: str | None = None
    status: TaskStatus | None = None
    overdue_on: date | None = None  # open tasks due before this day
    due_before: date | None = None
    parent_task_id: str | None = None
    visible_plans: tuple[str, ...] | None = None  # authorization: a supervisor's plan scope
    due_after: date | None = None  # with due_before: a due window
    text: str | None = None  # a keyword in the title, the measure's text or a progress report
    ids: tuple[str, ...] | None = None  # only these tasks


def _mentions(text: str) -> Any:
    """Tasks whose title, measure text or any progress report contains `text`. A substring
    match (LIKE, case-folded, wildcards escaped) is right for Chinese, which has no spaces to
    split words on; docs/search.md has the measurements behind it. The measures and the
    reports are searched once each (uncorrelated IN), not once per task."""
    reports = t.progress_reports.c
    report_columns = (
        reports.done_work,
        reports.next_steps,
        reports.problems,
        reports.coordination_needed,
    )
    in_reports = select(reports.task_id).where(
        or_(*(col.icontains(text, autoescape=True) for col in report_columns))
    )
    in_measures = select(t.measures.c.id).where(t.measures.c.text.icontains(text, autoescape=True))
    return or_(
        t.tasks.c.title.icontains(text, autoescape=True),
        t.tasks.c.measure_id.in_(in_measures),
        t.tasks.c.id.in_(in_reports),
    )


def task_query(f: TaskFilter) -> Any:
    conds: list[Any] = []
    if f.text:
        conds.append(_mentions(f.text))
    if f.due_after:
        conds.append(t.tasks.c.due_on >= f.due_after)
    if f.ids is not None:
        conds.append(t.tasks.c.id.in_(f.ids))
    for dep in (f.department_id, f.visible_to_department):
        if dep is not None:
            conds.append(
                exists().where(
                    and_(
                        t.task_departments.c.task_id == t.tasks.c.id,
                        t.task_departments.c.department_id == dep,
                    )
                )
            )
    if f.plan_id:
        conds.append(t.tasks.c.plan_id == f.plan_id)
    if f.visible_plans is not None:
        conds.append(t.tasks.c.plan_id.in_(f.visible_plans))
    if f.status:
        conds.append(t.tasks.c.status == f.status.value)
    if f.overdue_on:
        conds.append(t.tasks.c.due_on < f.overdue_on)
        conds.append(t.tasks.c.status.not_in([TaskStatus.COMPLETED.value, TaskStatus.CLOSED.value]))
    if f.due_before:
        conds.append(t.tasks.c.due_on <= f.due_before)
    if f.parent_task_id:
        conds.append(t.tasks.c.parent_task_id == f.parent_task_id)
    return (
        select(t.tasks)
        .where(and_(true(), *conds))
        .order_by(t.tasks.c.due_on.is_(None), t.tasks.c.due_on, t.tasks.c.id)
    )


async def list_tasks(
    conn: AsyncConnection, f: TaskFilter, offset: int | None = None, limit: int | None = None
) -> list[Task]:
    query = task_query(f)
    if offset is not None:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    tasks = [task_from(r) for r in (await conn.execute(query)).all()]
    return await with_indicators(conn, tasks)


async def schedules(conn: AsyncConnection, f: TaskFilter) -> list[Any]:
    """What the light of each matching task needs (id, status, due_on, start_on, progress,
    whether it tracks indicators) and its departments (JSON text), in list order: a light
    filter and the overview decide on these and load whole tasks for one page only."""
    c = t.tasks.c
    tracked = (
        exists()
        .where(t.indicators.c.task_id == c.id, t.indicators.c.dropped.is_(False))
        .label("tracked")
    )
    # The department lists as their JSON text: decoded by the caller only where needed, at a
    # fraction of the cost of the column type's per-value processing.
    query = task_query(f).with_only_columns(
        c.id,
        c.plan_id,
        c.status,
        c.due_on,
        c.start_on,
        c.progress,
        tracked,
        cast(c.lead_department_ids, String).label("lead_json"),
        cast(c.supporting_department_ids, String).label("supporting_json"),
    )
    return list((await conn.execute(query)).all())


async def count_tasks(conn: AsyncConnection, f: TaskFilter) -> int:
    sub = task_query(f).order_by(None).subquery()
    return int(await conn.scalar(select(func.count()).select_from(sub)) or 0)
