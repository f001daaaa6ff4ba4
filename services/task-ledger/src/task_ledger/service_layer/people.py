"""Administration of departments and accounts beyond creating them (service_layer.directory):
rename, re-level and re-parent a department, merge a duplicate into another, search users,
deactivate and reactivate them, reset a password to a one-time initial one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from duban_contracts import events as ev
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import people as people_repo
from task_ledger.adapters.repository.people import UserQuery as UserQuery  # for the API, pages
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.jurisdiction import ancestry
from task_ledger.domain.model import Department, Task, User
from task_ledger.service_layer import directory
from task_ledger.service_layer.handlers.decomposition import register_events
from task_ledger.service_layer.uow import Ledger, Transaction

# Letters and digits that cannot be mistaken for one another when read out or copied by hand.
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def initial_password() -> str:
    """A one-time password to hand over (4 groups of 4): about 95 bits, passes the policy."""
    groups = ("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


async def _current(tx: Transaction, department_id: str, label: str = "单位") -> Department:
    dep = await repo.get_department(tx.conn, department_id)
    if dep is None:
        raise NotFound(f"{label}不存在")
    if dep.merged_into is not None:
        raise DomainError(f"{label}“{dep.name}”已并入其他单位，不能再修改")
    return dep


async def update_department(
    ledger: Ledger, actor: User, department_id: str, changes: dict[str, object]
) -> Department:
    """Rename, set the level or the parent (上级单位) of a department; the id stays."""
    async with ledger.transaction() as tx:
        current = await _current(tx, department_id)
        dep = replace(current, **changes)  # type: ignore[arg-type]
        if dep.parent_id is not None:
            parent = await _current(tx, dep.parent_id, "上级单位")
            known = {d.id: d for d in await repo.list_departments(tx.conn)}
            known[dep.id] = dep
            if any(a.id == dep.id for a in ancestry(parent, known)):
                raise DomainError("上级单位不能是本单位或其下级单位")
        await directory.upsert_department(tx, dep, actor.id)
    return dep


def _moved(task: Task, from_id: str, into_id: str) -> Task:
    def swap(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(into_id if d == from_id else d for d in ids))

    lead = swap(task.lead_department_ids)
    supporting = tuple(d for d in swap(task.supporting_department_ids) if d not in lead)
    return replace(task, lead_department_ids=lead, supporting_department_ids=supporting)


@dataclass(frozen=True)
class Merged:
    duplicate: Department  # retired now
    kept: Department
    tasks_moved: int


async def merge_department(ledger: Ledger, actor: User, from_id: str, into_id: str) -> Merged:
    """Merge a duplicate into the department it duplicates: its tasks, users, open notices,
    sub-departments and not yet confirmed imports move over; the duplicate is retired (kept,
    with `merged_into`, so old reports and the audit trail still name it)."""
    if from_id == into_id:
        raise DomainError("不能把单位并入它自己")
    async with ledger.transaction() as tx:
        duplicate = await _current(tx, from_id, "被合并的单位")
        kept = await _current(tx, into_id, "保留的单位")
        everyone = {d.id: d for d in await repo.list_departments(tx.conn)}
        if any(a.id == from_id for a in ancestry(kept, everyone)):
            raise DomainError("不能并入被合并单位的下级单位，请先调整上级单位")
        tasks = await people_repo.tasks_of_department(tx.conn, from_id)
        for task in tasks:
            moved = _moved(task, from_id, into_id)
            await people_repo.set_task_departments(tx.conn, moved)
            # The deadline watcher keeps its own copy of a task's departments: announcing the
            # task again (an upsert there) moves its reminders to the kept department.
            await register_events(tx, moved, actor, plan_title=None)
            tx.timeline(
                task.id,
                "departments_merged",
                f"承办单位“{duplicate.name}”已并入“{kept.name}”",
                actor.id,
                merged_from=from_id,
                merged_into=into_id,
            )
        for user in await people_repo.users_of_department(tx.conn, from_id):
            moved_user = replace(user, department_id=into_id)
            await repo.update_user(tx.conn, moved_user, None)
            directory.user_changed(tx, moved_user, actor.id)
        await people_repo.move_records(tx.conn, from_id, into_id)
        imports = await people_repo.move_import_previews(tx.conn, from_id, into_id)
        await people_repo.retire_department(tx.conn, from_id, into_id)
        tx.emit(ev.DepartmentRemoved(department_id=from_id))
        tx.audit(
            actor.id,
            "department.merge",
            "department",
            from_id,
            {"name": duplicate.name, "jurisdiction": duplicate.jurisdiction},
            {
                "merged_into": into_id,
                "merged_into_name": kept.name,
                "tasks": [t.id for t in tasks],
                "pending_imports": imports,
            },
        )
    return Merged(replace(duplicate, merged_into=into_id), kept, len(tasks))


async def search_users(ledger: Ledger, query: UserQuery) -> tuple[list[User], int]:
    async with ledger.reading() as conn:
        return await people_repo.search_users(conn, query)


async def set_active(ledger: Ledger, actor: User, user_id: str, active: bool) -> User:
    """Deactivate (every token and page session ends) or reactivate an account."""
    if user_id == actor.id and not active:
        raise DomainError("不能停用自己的账号")
    return await directory.update_user(ledger, actor, user_id, {"active": active}, None)


async def reset_password(ledger: Ledger, actor: User, user_id: str) -> tuple[User, str]:
    """A new one-time initial password (shown once to the administrator); the user's sessions
    and tokens end, and in production the password must be changed at the next login."""
    password = initial_password()
    user = await directory.update_user(ledger, actor, user_id, {}, password)
    return user, password


async def departments_without_liaison(ledger: Ledger) -> list[Department]:
    async with ledger.reading() as conn:
        return await people_repo.departments_without_liaison(conn)


async def departments_with_liaisons(ledger: Ledger) -> list[tuple[Department, int]]:
    """Current departments (by jurisdiction and name) with their number of active liaisons."""
    async with ledger.reading() as conn:
        deps = await repo.list_departments(conn, current_only=True)
        counts = await people_repo.liaison_counts(conn)
    deps.sort(key=lambda d: (d.jurisdiction, d.name))
    return [(d, counts.get(d.id, 0)) for d in deps]


async def count_without_liaison(ledger: Ledger) -> int:
    async with ledger.reading() as conn:
        return await people_repo.count_without_liaison(conn)
