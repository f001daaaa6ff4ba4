"""Task lists for the API and the pages: the keyword search and filters of `GET /api/tasks`
and `/tasks` (docs/finding-work.md), lights decided on schedule columns, and the supervisors'
overview read the same way. Callers use them through `service_layer.queries`."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import authz
from task_ledger.domain.light import light
from task_ledger.domain.model import Task, User
from task_ledger.service_layer.uow import Ledger


@dataclass(frozen=True)
class TaskSearch:
    """What a task list is filtered by (visibility is added from the user)."""

    department_id: str | None = None
    plan_id: str | None = None
    status: TaskStatus | None = None
    light: Light | None = None
    overdue: bool = False
    due_before: date | None = None
    parent_task_id: str | None = None
    text: str | None = None  # keyword: title, measure text, progress reports
    due_after: date | None = None


async def find_tasks(
    ledger: Ledger, user: User, search: TaskSearch, offset: int = 0, limit: int | None = None
) -> tuple[int, list[Task]]:
    """(how many tasks match, the page of them from `offset`) among those `user` may see."""
    today = ledger.today()
    f = repo.TaskFilter(
        department_id=search.department_id,
        visible_to_department=authz.visible_department(user),
        visible_plans=authz.plan_scope(user),
        plan_id=search.plan_id,
        status=search.status,
        overdue_on=today if search.overdue else None,
        due_before=search.due_before,
        parent_task_id=search.parent_task_id,
        due_after=search.due_after,
        text=search.text,
    )
    async with ledger.reading() as conn:
        if search.light is None:
            total = await repo.count_tasks(conn, f)
            return total, await repo.list_tasks(conn, f, offset, limit)
        # The light depends on today: one function decides it, not SQL. It is decided on the
        # schedule columns and the indicators alone; whole tasks are loaded for the page only.
        rows = await repo.schedules(conn, f)
        tracked = await repo.tracked_of(conn, [r.id for r in rows if r.tracked])
        warning = ledger.settings.warning_days
        lit = [
            r.id
            for r in rows
            if light(Schedule.of(r, tracked.get(r.id, ())), today, warning) == search.light
        ]
        page = lit[offset : None if limit is None else offset + limit]
        shown = await repo.list_tasks(conn, replace(f, ids=tuple(page))) if page else []
    return len(lit), shown


@dataclass(slots=True)
class Schedule:
    """A task as the light and the dashboards' counts read it, without its texts: what
    `domain.light.light` needs, and the departments taking part."""

    id: str
    plan_id: str
    status: TaskStatus
    due_on: date | None
    start_on: date | None
    progress: int
    indicators: tuple[Any, ...] = ()
    lead_department_ids: tuple[str, ...] = ()
    department_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Any, indicators: Any = (), departments: bool = False) -> Schedule:
        """From a `repo.schedules` row; `departments`: decode the department lists too."""
        x = cls(
            row.id,
            row.plan_id,
            TaskStatus(row.status),
            row.due_on,
            row.start_on,
            row.progress,
            tuple(indicators),
        )
        if departments:
            x.lead_department_ids = lead = tuple(json.loads(row.lead_json or "[]"))
            supporting = json.loads(row.supporting_json or "[]")
            x.department_ids = lead + tuple(d for d in supporting if d not in lead)
        return x


async def schedules(
    conn: AsyncConnection, user: User, plan_id: str | None = None
) -> list[Schedule]:
    """Every task `user` may see (of one plan, if given) as a Schedule, for the supervisors'
    overview: 10,000 whole tasks would cost most of a page's time in decoding alone."""
    f = repo.TaskFilter(
        visible_to_department=authz.visible_department(user),
        visible_plans=authz.plan_scope(user),
        plan_id=plan_id,
    )
    rows = await repo.schedules(conn, f)
    tracked = await repo.tracked_of(conn, [r.id for r in rows if r.tracked])
    return [Schedule.of(r, tracked.get(r.id, ()), departments=True) for r in rows]


async def tasks_by_id(conn: AsyncConnection, task_ids: list[str]) -> list[Task]:
    """Whole tasks, in the order of `task_ids` (callers chose them among visible ones)."""
    if not task_ids:
        return []
    found = {x.id: x for x in await repo.list_tasks(conn, repo.TaskFilter(ids=tuple(task_ids)))}
    return [found[i] for i in task_ids if i in found]


async def task_titles(conn: AsyncConnection, user: User, task_ids: list[str]) -> dict[str, str]:
    """Titles of those of the tasks `user` may see (a batch's results name them)."""
    if not task_ids:
        return {}
    rows = await conn.execute(select(t.tasks).where(t.tasks.c.id.in_(task_ids)))
    tasks = [repo.task_from(r) for r in rows]
    return {x.id: x.title for x in tasks if authz.can_view_task(user, x)}


async def task_lead_names(conn: AsyncConnection, user: User, task_ids: list[str]) -> dict[str, str]:
    """The lead departments' names of those of the tasks `user` may see, joined by 、."""
    if not task_ids:
        return {}
    rows = await conn.execute(select(t.tasks).where(t.tasks.c.id.in_(task_ids)))
    tasks = [x for x in map(repo.task_from, rows) if authz.can_view_task(user, x)]
    deps = await repo.get_departments(conn, [d for x in tasks for d in x.lead_department_ids])
    return {
        x.id: "、".join(deps[d].name for d in x.lead_department_ids if d in deps) for x in tasks
    }
