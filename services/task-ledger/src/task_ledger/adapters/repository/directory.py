"""Departments and users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_contracts.vocabulary import JurisdictionLevel, Role
from task_ledger.adapters import tables as t
from task_ledger.domain.model import Department, User


def department_from(row: Any) -> Department:
    return Department(
        id=row.id,
        name=row.name,
        jurisdiction=row.jurisdiction,
        level=JurisdictionLevel(row.level),
        parent_id=row.parent_id,
        merged_into=row.merged_into,
        collective=bool(row.collective),
    )


async def get_department(conn: AsyncConnection, department_id: str) -> Department | None:
    row = (
        await conn.execute(select(t.departments).where(t.departments.c.id == department_id))
    ).first()
    return department_from(row) if row else None


_DEPARTMENTS = select(t.departments).where(t.departments.c.id.in_(bindparam("ids", expanding=True)))


async def get_departments(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Department]:
    rows = (await conn.execute(_DEPARTMENTS, {"ids": list(ids)})).all()
    return {r.id: department_from(r) for r in rows}


async def list_departments(conn: AsyncConnection, current_only: bool = False) -> list[Department]:
    """Every department; `current_only`: without the duplicates merged into another."""
    query = select(t.departments).order_by(t.departments.c.id)
    if current_only:
        query = query.where(t.departments.c.merged_into.is_(None))
    rows = (await conn.execute(query)).all()
    return [department_from(r) for r in rows]


async def upsert_department(conn: AsyncConnection, dep: Department) -> bool:
    """Insert or update; returns True when something changed."""
    values = {
        "name": dep.name,
        "jurisdiction": dep.jurisdiction,
        "level": dep.level.value,
        "parent_id": dep.parent_id,
        "collective": dep.collective,
    }
    current = await get_department(conn, dep.id)
    if current is None:
        await conn.execute(insert(t.departments).values(id=dep.id, **values))
        return True
    if current == dep:
        return False
    await conn.execute(update(t.departments).where(t.departments.c.id == dep.id).values(**values))
    return True


def user_from(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        department_id=row.department_id,
        email=row.email,
        active=row.active,
        plan_ids=tuple(row.plan_ids or ()),
        credential_version=row.credential_version,
        must_change_password=row.must_change_password,
        im_id=row.im_id,
    )


async def get_user(conn: AsyncConnection, user_id: str) -> User | None:
    row = (await conn.execute(select(t.users).where(t.users.c.id == user_id))).first()
    return user_from(row) if row else None


async def get_users(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, User]:
    if not ids:
        return {}
    rows = (await conn.execute(select(t.users).where(t.users.c.id.in_(ids)))).all()
    return {r.id: user_from(r) for r in rows}


async def get_user_credentials(conn: AsyncConnection, username: str) -> tuple[User, str] | None:
    row = (await conn.execute(select(t.users).where(t.users.c.username == username))).first()
    return (user_from(row), row.password_hash) if row else None


async def list_users(conn: AsyncConnection) -> list[User]:
    rows = (await conn.execute(select(t.users).order_by(t.users.c.username))).all()
    return [user_from(r) for r in rows]


async def insert_user(conn: AsyncConnection, user: User, password_hash: str) -> None:
    await conn.execute(
        insert(t.users).values(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            department_id=user.department_id,
            email=user.email,
            active=user.active,
            plan_ids=list(user.plan_ids),
            password_hash=password_hash,
            credential_version=user.credential_version,
            must_change_password=user.must_change_password,
            im_id=user.im_id,
        )
    )


async def update_user(conn: AsyncConnection, user: User, password_hash: str | None) -> None:
    values: dict[str, Any] = {
        "display_name": user.display_name,
        "role": user.role.value,
        "department_id": user.department_id,
        "email": user.email,
        "active": user.active,
        "plan_ids": list(user.plan_ids),
        "im_id": user.im_id,
    }
    if password_hash is not None:
        values["password_hash"] = password_hash
    await conn.execute(update(t.users).where(t.users.c.id == user.id).values(**values))


async def count_users(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(t.users)) or 0)
