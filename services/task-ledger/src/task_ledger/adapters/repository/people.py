"""Administration of people and departments: searching users, finding departments without a
liaison, and moving a merged duplicate's records onto the department it went into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, cast, delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_contracts.vocabulary import Role
from task_ledger.adapters import tables as t
from task_ledger.adapters.repository.directory import department_from, user_from
from task_ledger.adapters.repository.tasks import task_department_rows, task_from
from task_ledger.domain.model import Department, Task, User


@dataclass(frozen=True)
class UserQuery:
    text: str = ""  # part of the username, the name or the e-mail address
    role: Role | None = None
    department_id: str | None = None
    active: bool | None = None
    limit: int = 50
    offset: int = 0
    user_id: str | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_users(conn: AsyncConnection, q: UserQuery) -> tuple[list[User], int]:
    u = t.users
    conditions: list[Any] = []
    if q.text:
        pattern = _like(q.text)
        conditions.append(
            or_(
                u.c.username.ilike(pattern, escape="\\"),
                u.c.display_name.ilike(pattern, escape="\\"),
                u.c.email.ilike(pattern, escape="\\"),
            )
        )
    if q.role is not None:
        conditions.append(u.c.role == q.role.value)
    if q.department_id:
        conditions.append(u.c.department_id == q.department_id)
    if q.active is not None:
        conditions.append(u.c.active == q.active)
    if q.user_id is not None:
        conditions.append(u.c.id == q.user_id)
    where = and_(True, *conditions)
    total = int(await conn.scalar(select(func.count()).select_from(u).where(where)) or 0)
    rows = await conn.execute(
        select(u)
        .where(where)
        .order_by(u.c.department_id, u.c.username)
        .limit(q.limit)
        .offset(q.offset)
    )
    return [user_from(r) for r in rows], total


async def all_usernames(conn: AsyncConnection) -> set[str]:
    return set((await conn.scalars(select(t.users.c.username))).all())


async def departments_without_liaison(conn: AsyncConnection) -> list[Department]:
    """Current departments that take part in a task but have no active liaison: nobody would
    receive their tasks. Collective groups (各县（市、区）人民政府) are left out: nobody can be
    their liaison, their tasks are expanded to the members."""
    d, u, td = t.departments, t.users, t.task_departments
    staffed = exists().where(
        u.c.department_id == d.c.id, u.c.role == Role.LIAISON.value, u.c.active.is_(True)
    )
    tasked = exists().where(td.c.department_id == d.c.id)
    rows = await conn.execute(
        select(d)
        .where(d.c.merged_into.is_(None), d.c.collective.is_(False), tasked, ~staffed)
        .order_by(d.c.jurisdiction, d.c.name)
    )
    return [department_from(r) for r in rows]


async def tasks_of_department(conn: AsyncConnection, department_id: str) -> list[Task]:
    td = t.task_departments
    rows = await conn.execute(
        select(t.tasks)
        .where(t.tasks.c.id.in_(select(td.c.task_id).where(td.c.department_id == department_id)))
        .order_by(t.tasks.c.id)
        .with_for_update()
    )
    return [task_from(r) for r in rows]


async def set_task_departments(conn: AsyncConnection, task: Task) -> None:
    """Store a task's lead and supporting departments (only a department merge changes them)."""
    await conn.execute(
        update(t.tasks)
        .where(t.tasks.c.id == task.id)
        .values(
            lead_department_ids=list(task.lead_department_ids),
            supporting_department_ids=list(task.supporting_department_ids),
        )
    )
    await conn.execute(delete(t.task_departments).where(t.task_departments.c.task_id == task.id))
    await conn.execute(insert(t.task_departments), task_department_rows(task))


async def users_of_department(conn: AsyncConnection, department_id: str) -> list[User]:
    rows = await conn.execute(select(t.users).where(t.users.c.department_id == department_id))
    return [user_from(r) for r in rows]


async def move_records(conn: AsyncConnection, from_id: str, into_id: str) -> None:
    """What else points at the duplicate: open supervision notices, sub-departments."""
    n = t.supervision_notices
    await conn.execute(
        update(n)
        .where(n.c.department_id == from_id, n.c.answer.is_(None))
        .values(department_id=into_id)
    )
    d = t.departments
    await conn.execute(update(d).where(d.c.parent_id == from_id).values(parent_id=into_id))


async def move_import_previews(conn: AsyncConnection, from_id: str, into_id: str) -> int:
    """Imports not yet confirmed name the duplicate in their preview: they name the kept
    department instead, so confirming one later never brings the duplicate back."""
    p, m = t.plan_imports, t.plan_import_measures
    rows = await conn.execute(select(p.c.id, p.c.preview).where(p.c.status == "previewed"))
    moved = set()
    for row in rows.all():
        replaced = _replace_values(row.preview, {from_id: into_id})
        if replaced != row.preview:
            await conn.execute(update(p).where(p.c.id == row.id).values(preview=replaced))
            moved.add(row.id)
        # Only the rows that mention it: a preview may hold 100,000 measures.
        mentioning = cast(m.c.data, String).contains(from_id, autoescape=True)
        measures = await conn.execute(
            select(m.c.document, m.c.position, m.c.data).where(m.c.import_id == row.id, mentioning)
        )
        for measure in measures.all():
            data = _replace_values(measure.data, {from_id: into_id})
            if data != measure.data:
                await conn.execute(
                    update(m)
                    .where(
                        m.c.import_id == row.id,
                        m.c.document == measure.document,
                        m.c.position == measure.position,
                    )
                    .values(data=data)
                )
                moved.add(row.id)
    return len(moved)


async def merged_departments(conn: AsyncConnection) -> dict[str, str]:
    """Each merged duplicate's id → the id of the department kept (through later merges)."""
    d = t.departments
    rows = await conn.execute(select(d.c.id, d.c.merged_into).where(d.c.merged_into.is_not(None)))
    merged = {r.id: r.merged_into for r in rows}
    kept = {}
    for old in merged:
        new = merged[old]
        seen = {old}
        while new in merged and new not in seen:  # merged into one merged later
            seen.add(new)
            new = merged[new]
        kept[old] = new
    return kept


def follow_merges(value: Any, kept: dict[str, str]) -> Any:
    """An import preview, or a part of it, naming the kept department wherever it names a
    merged duplicate (`kept`: `merged_departments`; the registry still resolves the
    duplicate's printed name to its id)."""
    return _replace_values(value, kept) if kept else value


def _replace_values(value: Any, new: dict[str, str]) -> Any:
    """`value` with each string that is a key of `new` replaced by its value (one pass)."""
    if isinstance(value, str):
        return new.get(value, value)
    if isinstance(value, dict):
        return {k: _replace_values(v, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_values(v, new) for v in value]
    return value


async def retire_department(conn: AsyncConnection, from_id: str, into_id: str) -> None:
    await conn.execute(
        update(t.departments).where(t.departments.c.id == from_id).values(merged_into=into_id)
    )


async def existing_usernames(conn: AsyncConnection, usernames: Sequence[str]) -> set[str]:
    if not usernames:
        return set()
    rows = await conn.execute(
        select(t.users.c.username).where(t.users.c.username.in_(list(usernames)))
    )
    return {r.username for r in rows}


async def liaison_counts(conn: AsyncConnection) -> dict[str, int]:
    """Active liaisons per department."""
    u = t.users
    rows = await conn.execute(
        select(u.c.department_id, func.count())
        .where(u.c.role == Role.LIAISON.value, u.c.active.is_(True))
        .group_by(u.c.department_id)
    )
    return {r[0]: int(r[1]) for r in rows if r[0]}


async def count_without_liaison(conn: AsyncConnection) -> int:
    return len(await departments_without_liaison(conn))
