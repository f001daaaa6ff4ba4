"""The recipient directory, kept from directory events, and the task titles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.db import dialect_insert
from duban_contracts import events as e
from duban_contracts.vocabulary import Channel, Role
from notifier.adapters.sql import among
from notifier.adapters.tables import departments, tasks, users
from notifier.domain.model import Audience, Recipient


async def upsert_department(conn: AsyncConnection, m: e.DepartmentUpserted) -> None:
    values = {"department_id": m.department_id, "name": m.name, "active": True}
    stmt = dialect_insert(conn, departments).values(values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["department_id"], set_=values))


async def remove_department(conn: AsyncConnection, department_id: str) -> None:
    await conn.execute(
        update(departments).where(departments.c.department_id == department_id).values(active=False)
    )


async def upsert_user(conn: AsyncConnection, m: e.UserUpserted) -> None:
    values = {
        "user_id": m.user_id,
        "display_name": m.display_name,
        "role": m.role.value,
        "department_id": m.department_id,
        "email": m.email,
        "wecom_webhook": m.wecom_webhook,
        "dingtalk_webhook": m.dingtalk_webhook,
        "channels": ",".join(ch.value for ch in m.channels),
        "active": m.active,
        "plan_ids": ",".join(m.plan_ids),
    }
    stmt = dialect_insert(conn, users).values(values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))


async def remove_user(conn: AsyncConnection, user_id: str) -> None:
    await conn.execute(delete(users).where(users.c.user_id == user_id))


def _recipient(row: Any) -> Recipient:
    return Recipient(
        user_id=row.user_id,
        display_name=row.display_name,
        role=Role(row.role),
        department_id=row.department_id,
        email=row.email,
        wecom_webhook=row.wecom_webhook,
        dingtalk_webhook=row.dingtalk_webhook,
        channels=tuple(Channel(ch) for ch in row.channels.split(",") if ch),
        active=row.active,
        plan_ids=tuple(p for p in (row.plan_ids or "").split(",") if p),
    )


async def recipients(conn: AsyncConnection, audience: Audience) -> list[Recipient]:
    """Active users the audience names, in a stable order. Removed departments reach nobody."""
    dept_roles = [r.value for r in audience.department_roles]
    global_roles = [r.value for r in audience.global_roles]
    live_departments = select(departments.c.department_id).where(departments.c.active)
    conditions = []
    if dept_roles and audience.departments:
        conditions.append(
            and_(
                users.c.role.in_(dept_roles),
                users.c.department_id.in_(audience.departments),
                users.c.department_id.in_(live_departments),
            )
        )
    if global_roles:
        conditions.append(users.c.role.in_(global_roles))
    if not conditions:
        return []
    rows = await conn.execute(
        select(users).where(users.c.active, or_(*conditions)).order_by(users.c.user_id)
    )
    return [p for p in map(_recipient, rows) if audience.includes(p)]


async def recipients_by_id(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Recipient]:
    rows = await conn.execute(select(users).where(among(conn, users.c.user_id, ids)))
    return {row.user_id: _recipient(row) for row in rows}


async def department_names(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, str]:
    rows = await conn.execute(
        select(departments.c.department_id, departments.c.name).where(
            among(conn, departments.c.department_id, ids)
        )
    )
    return {row.department_id: row.name for row in rows}


async def remember_task(
    conn: AsyncConnection, task_id: str, title: str, plan_id: str | None = None
) -> None:
    values = {"task_id": task_id, "title": title, "plan_id": plan_id}
    stmt = dialect_insert(conn, tasks).values(values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["task_id"], set_=values))


async def plan_of(conn: AsyncConnection, task_id: str) -> str | None:
    row = (await conn.execute(select(tasks.c.plan_id).where(tasks.c.task_id == task_id))).first()
    return row.plan_id if row else None


async def task_titles(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, str]:
    rows = await conn.execute(
        select(tasks.c.task_id, tasks.c.title).where(among(conn, tasks.c.task_id, ids))
    )
    return {row.task_id: row.title for row in rows}
