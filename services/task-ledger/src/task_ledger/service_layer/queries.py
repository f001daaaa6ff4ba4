"""The read side, for the API and the pages: task lists and a task with what hangs off it,
plans, people and imports (the home pages' dashboards are in `dashboards`). Task visibility
always goes through `repo.TaskFilter(visible_to_department=..., visible_plans=...)` or
`handlers.read_task`.

The functions taking a `Ledger` read in their own connection; those taking a connection let a
page read several things at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import authz, jurisdiction
from task_ledger.domain.model import (
    CompletionRequest,
    Department,
    ExtensionRequest,
    ProgressReport,
    SupervisionNotice,
    Task,
    User,
)
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import inbox_view
from task_ledger.service_layer.inbox_view import (
    INBOX_KIND_LABELS,
    INBOX_KINDS,
    inbox_of,
    inbox_page,
)
from task_ledger.service_layer.task_search import (
    Schedule,
    TaskSearch,
    find_tasks,
    schedules,
    task_lead_names,
    task_titles,
    tasks_by_id,
)
from task_ledger.service_layer.uow import Ledger

__all__ = [  # re-exported: the task search and the inbox live in modules of their own
    "INBOX_KINDS",
    "INBOX_KIND_LABELS",
    "Schedule",
    "TaskSearch",
    "find_tasks",
    "inbox_of",
    "inbox_page",
    "schedules",
    "task_lead_names",
    "task_titles",
    "tasks_by_id",
]

Scope = tuple[str, ...] | None  # a supervisor's plans (authz.plan_scope); None: every plan


def in_scope(query: Any, scope: Scope) -> Any:
    """Restrict a query over tasks (joined) to the plans of `scope`."""
    return query if scope is None else query.where(t.tasks.c.plan_id.in_(scope))


async def visible_tasks(
    conn: AsyncConnection, user: User, plan_id: str | None = None
) -> list[Task]:
    """Every task `user` may see (of one plan, if given), for the home pages."""
    f = repo.TaskFilter(
        visible_to_department=authz.visible_department(user),
        visible_plans=authz.plan_scope(user),
        plan_id=plan_id,
    )
    return await repo.list_tasks(conn, f)


async def draft_tasks(ledger: Ledger, plan_id: str) -> list[Task]:
    """A plan's tasks not yet dispatched (for supervisors dispatching a whole plan)."""
    f = repo.TaskFilter(plan_id=plan_id, status=TaskStatus.DRAFT)
    async with ledger.reading() as conn:
        return await repo.list_tasks(conn, f)


@dataclass(frozen=True)
class TaskFile:
    """A task with its departments, child tasks and everything filed on it; its progress
    reports and timeline as one page each (newest first) with their totals."""

    task: Task
    departments: dict[str, Department]
    children: list[Task]
    reports: list[ProgressReport]
    extensions: list[ExtensionRequest]
    completions: list[CompletionRequest]
    notices: list[SupervisionNotice]
    reports_total: int
    timeline: list[Any]
    timeline_total: int


async def task_file(
    conn: AsyncConnection,
    user: User,
    task_id: str,
    page_size: int,
    reports_page: int = 1,
    timeline_page: int = 1,
) -> TaskFile:
    task = await h.read_task(conn, user, task_id, "read")
    return TaskFile(
        task,
        await repo.get_departments(conn, list(task.department_ids)),
        await repo.get_children(conn, task.id),
        await repo.list_reports(conn, task.id, (reports_page - 1) * page_size, page_size),
        await repo.list_extensions(conn, task.id),
        await repo.list_completions(conn, task.id),
        await repo.list_notices(conn, task.id),
        await repo.count_reports(conn, task.id),
        await repo.list_timeline(conn, task.id, (timeline_page - 1) * page_size, page_size),
        await repo.count_timeline(conn, task.id),
    )


async def read_task_file(ledger: Ledger, user: User, task_id: str) -> TaskFile:
    async with ledger.reading() as conn:
        return await task_file(conn, user, task_id, ledger.settings.detail_page_size)


async def timeline(
    ledger: Ledger, user: User, task_id: str, page: int, page_size: int, newest_first: bool = True
) -> tuple[list[Any], int]:
    """One page of a task's timeline and how many entries it has."""
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "timeline")
        offset = (page - 1) * page_size
        rows = await repo.list_timeline(conn, task_id, offset, page_size, newest_first)
        return rows, await repo.count_timeline(conn, task_id)


async def progress_reports(
    ledger: Ledger, user: User, task_id: str, page: int, page_size: int
) -> tuple[list[ProgressReport], int]:
    """One page of a task's progress reports (newest first) and how many it has."""
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "list_reports")
        rows = await repo.list_reports(conn, task_id, (page - 1) * page_size, page_size)
        return rows, await repo.count_reports(conn, task_id)


async def extension_requests(ledger: Ledger, user: User, task_id: str) -> list[ExtensionRequest]:
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "list_extensions")
        return await repo.list_extensions(conn, task_id)


async def supervision_notices(ledger: Ledger, user: User, task_id: str) -> list[SupervisionNotice]:
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "list_notices")
        return await repo.list_notices(conn, task_id)


async def parent_of(conn: AsyncConnection, user: User, task: Task) -> Task | None:
    """The task this one was decomposed from, if `user` may see it."""
    if task.parent_task_id is None:
        return None
    parent = await repo.get_task(conn, task.parent_task_id)
    return parent if parent is not None and authz.can_view_task(user, parent) else None


async def children_for(conn: AsyncConnection, user: User, task: Task) -> list[Task]:
    """The tasks `task` was split into that `user` sees: all of them for overseers and for the
    department that split it (or one above it), otherwise those their department takes part in."""
    children = await repo.get_children(conn, task.id)
    if not children:
        return []
    if authz.can_view_task(user, task) and user.role in authz.OVERSEERS:
        return await repo.with_indicators(conn, children)
    if not authz.oversees_split(user, [task]) and not authz.oversees_split(
        user, await repo.get_ancestors(conn, task)
    ):
        children = [c for c in children if authz.can_view_task(user, c)]
    return await repo.with_indicators(conn, children)


async def collective_leads(conn: AsyncConnection, task: Task) -> list[str]:
    """Names of the task's lead departments that are collective groups (各县（市、区）人民政府):
    such a task waits to be expanded to the members."""
    leads = await repo.get_departments(conn, task.lead_department_ids)
    return [d.name for d in leads.values() if d.collective]


async def split_candidates(conn: AsyncConnection, user: User, task: Task) -> list[Department]:
    """The departments `user` may split `task` to: inside their own department's area (a lead
    liaison) or the task's lead departments' (a supervisor), of a lower level."""
    every = {d.id: d for d in await repo.list_departments(conn)}
    if authz.is_lead_liaison(user, task) and user.department_id in every:
        areas = [every[user.department_id or ""]]
    else:
        areas = [every[d] for d in task.lead_department_ids if d in every]
    return jurisdiction.subordinates(areas, every)


async def may_report(ledger: Ledger, user: User, task_id: str) -> None:
    """Refuse another department's task before any of a report's files is stored."""
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "report_progress")


async def user(ledger: Ledger, user_id: str) -> User | None:
    async with ledger.reading() as conn:
        return await repo.get_user(conn, user_id)


async def user_and_unread(ledger: Ledger, user_id: str) -> tuple[User | None, int]:
    """A signed-in user and how many inbox messages they have not read (every page shows it)."""
    async with ledger.reading() as conn:
        found = await repo.get_user(conn, user_id)
        unread = (
            await inbox_view.count(conn, inbox_view.inbox_where(user_id, True, None))
            if found
            else 0
        )
    return found, unread


async def credentials(ledger: Ledger, username: str) -> tuple[User, str] | None:
    """A user and their password hash, to check a login."""
    async with ledger.reading() as conn:
        return await repo.get_user_credentials(conn, username)


async def departments(ledger: Ledger) -> list[Department]:
    """The departments one can choose (merged duplicates left out)."""
    async with ledger.reading() as conn:
        return await repo.list_departments(conn, current_only=True)


async def users(ledger: Ledger) -> list[User]:
    async with ledger.reading() as conn:
        return await repo.list_users(conn)


async def plans_of(ledger: Ledger, user: User) -> list[Any]:
    """The plans `user` oversees (every plan unless a supervisor's scope narrows it); for a
    department's liaison or head, only the plans with a task their department takes part in."""
    department = authz.visible_department(user)
    async with ledger.reading() as conn:
        if department is None:
            return await plans(conn, authz.plan_scope(user))
        taking_part = (
            select(t.tasks.c.plan_id)
            .join(t.task_departments, t.task_departments.c.task_id == t.tasks.c.id)
            .where(t.task_departments.c.department_id == department)
        )
        query = select(t.plans).where(t.plans.c.id.in_(taking_part)).order_by(t.plans.c.created_at)
        return list((await conn.execute(query)).all())


async def recent_imports(
    ledger: Ledger, user: User, page: int = 1, page_size: int = 20
) -> tuple[list[Any], int]:
    """The imports `user` may handle (see `authz.can_manage_import`), newest first, one page
    of them (without their previews: a background job's progress is read here, not through
    the whole stored preview) and how many there are."""
    c = t.plan_imports.c
    where = []
    if authz.plan_scope(user) is not None:
        where.append(c.created_by == user.id)
    query = (
        select(
            c.id,
            c.filename,
            c.created_by,
            c.created_at,
            c.status,
            c.plan_ids,
            c.progress_done,
            c.progress_total,
            c.job_error,
        )
        .where(*where)
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    async with ledger.reading() as conn:
        rows = list((await conn.execute(query)).all())
        total = (
            await conn.execute(select(func.count()).select_from(t.plan_imports).where(*where))
        ).scalar_one()
    return rows, int(total)


async def plans(conn: AsyncConnection, scope: Scope = None) -> list[Any]:
    query = select(t.plans).order_by(t.plans.c.created_at)
    if scope is not None:
        query = query.where(t.plans.c.id.in_(scope))
    return list((await conn.execute(query)).all())


async def plan(conn: AsyncConnection, plan_id: str) -> Any:
    return (await conn.execute(select(t.plans).where(t.plans.c.id == plan_id))).first()


async def measure(conn: AsyncConnection, measure_id: str) -> Any:
    return (await conn.execute(select(t.measures).where(t.measures.c.id == measure_id))).first()


async def department_names(conn: AsyncConnection) -> dict[str, str]:
    rows = await conn.execute(select(t.departments.c.id, t.departments.c.name))
    return {r.id: r.name for r in rows}


async def user_names(conn: AsyncConnection, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await conn.execute(
        select(t.users.c.id, t.users.c.display_name).where(t.users.c.id.in_(wanted))
    )
    return {r.id: r.display_name for r in rows}
