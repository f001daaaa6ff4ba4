"""Departments and users: seeding, admin changes, and the directory events the notifier reads."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, JurisdictionLevel, Role
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import auth as auth_repo
from task_ledger.adapters.repository import people as people_repo
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import Department, User
from task_ledger.service_layer.passwords import check_policy, password_hasher
from task_ledger.service_layer.uow import Ledger, Transaction
from task_ledger.service_layer.usernames import readable_username
from task_ledger.settings import Settings

REGISTRY_LEVELS = {
    "国家": JurisdictionLevel.NATIONAL,
    "省": JurisdictionLevel.PROVINCE,
    "自治区": JurisdictionLevel.PROVINCE,
    "直辖市": JurisdictionLevel.PROVINCE,
    "市": JurisdictionLevel.CITY,
    "县": JurisdictionLevel.COUNTY,
    "区": JurisdictionLevel.COUNTY,
}
SUPERVISOR_ID = "user-supervisor"
ADMIN_ID = "user-admin"


def department_id(jurisdiction: str, name: str) -> str:
    """Stable id of a department: the same name in the same jurisdiction is one department."""
    digest = hashlib.sha1(f"{jurisdiction}/{name}".encode()).hexdigest()[:12]
    return f"dep-{digest}"


def user_id(username: str) -> str:
    """The id of a new user: `user-<username>` when it fits the 64-character ids, else a
    prefix and a digest of the whole name, so two long names never share an id."""
    plain = f"user-{username}"
    if len(plain) <= 64:
        return plain
    return f"user-{username[:42]}-{hashlib.sha256(username.encode()).hexdigest()[:16]}"


def liaison_user_id(dep_id: str) -> str:
    """The id of a department's demo liaison (stable; the username is the readable part)."""
    return f"user-liaison-{dep_id.removeprefix('dep-')}"


def _department_event(tx: Transaction, dep: Department, actor_id: str | None) -> None:
    tx.emit(
        ev.DepartmentUpserted(
            department_id=dep.id,
            name=dep.name[:500],
            jurisdiction=dep.jurisdiction[:500],
            level=dep.level,
            parent_department_id=dep.parent_id,
        )
    )
    tx.audit(
        actor_id,
        "department.upsert",
        "department",
        dep.id,
        None,
        {
            "name": dep.name,
            "jurisdiction": dep.jurisdiction,
            "level": dep.level.value,
            "parent_id": dep.parent_id,
        },
    )


def user_changed(tx: Transaction, user: User, actor_id: str | None) -> None:
    """Announce a user's new state (directory event, audit, caches of users dropped)."""
    tx.users_changed = True
    channels = (Channel.INBOX, Channel.EMAIL) if user.email else (Channel.INBOX,)
    tx.emit(
        ev.UserUpserted(
            user_id=user.id,
            display_name=user.display_name[:500],
            role=user.role,
            department_id=user.department_id,
            email=user.email,
            channels=channels,
            active=user.active,
            plan_ids=user.plan_ids,
        )
    )
    tx.audit(
        actor_id,
        "user.upsert",
        "user",
        user.id,
        None,
        {
            "username": user.username,
            "role": user.role.value,
            "department_id": user.department_id,
            "active": user.active,
            "plan_ids": list(user.plan_ids),
        },
    )


async def upsert_department(tx: Transaction, dep: Department, actor_id: str | None) -> bool:
    if dep.parent_id is not None and await repo.get_department(tx.conn, dep.parent_id) is None:
        raise DomainError("上级单位不存在")
    current = await repo.get_department(tx.conn, dep.id)
    if current is not None and current.merged_into is not None:
        return False  # a merged duplicate stays retired (a registry seed or an import names it)
    changed = await repo.upsert_department(tx.conn, dep)
    if changed:
        _department_event(tx, dep, actor_id)
    return changed


def registry_departments() -> list[Department]:
    from duban_planparse import default_registry

    return [
        Department(
            department_id(d.jurisdiction, d.name),
            d.name,
            d.jurisdiction,
            REGISTRY_LEVELS.get(d.level, JurisdictionLevel.PROVINCE),
        )
        for d in default_registry().departments()
    ]


async def seed(ledger: Ledger) -> dict[str, int]:
    """First start: departments from the registry, demo users. Safe to run again."""
    s = ledger.settings
    counts = {"departments": 0, "users": 0}
    async with ledger.transaction() as tx:
        deps = registry_departments() if s.seed_departments else []
        for dep in deps:
            counts["departments"] += await upsert_department(tx, dep, None)
        # Demo accounts have published passwords: never in production.
        demo = s.seed_demo_users and s.environment != "production"
        if demo and not await repo.count_users(tx.conn):
            counts["users"] = await _seed_users(tx, s, await repo.list_departments(tx.conn))
    return counts


async def _seed_users(tx: Transaction, s: Settings, deps: list[Department]) -> int:
    hasher = password_hasher(s)
    # One hash per demo password: all demo liaisons share the password from the settings.
    liaison_hash = hasher.hash(s.demo_liaison_password.get_secret_value())
    users = [
        (
            User(
                SUPERVISOR_ID,
                "supervisor",
                "督查室督办员",
                Role.SUPERVISOR,
                email=f"supervisor@{s.demo_email_domain}",
            ),
            hasher.hash(s.demo_supervisor_password.get_secret_value()),
        ),
        (
            User(ADMIN_ID, "admin", "系统管理员", Role.ADMIN, email=f"admin@{s.demo_email_domain}"),
            hasher.hash(s.demo_admin_password.get_secret_value()),
        ),
    ]
    taken = {u.username for u, _ in users}
    for dep in sorted(deps, key=lambda d: d.id):  # the order decides who gets a -2
        users.append((demo_liaison(s, dep, readable_username(dep, taken)), liaison_hash))
    for user, password_hash in users:
        await repo.insert_user(tx.conn, user, password_hash)
        user_changed(tx, user, None)
    return len(users)


def demo_liaison(s: Settings, dep: Department, username: str) -> User:
    return User(
        liaison_user_id(dep.id),
        username,
        f"{dep.name}联络员"[:200],
        Role.LIAISON,
        dep.id,
        f"{username}@{s.demo_email_domain}",
    )


async def add_demo_liaisons(tx: Transaction, s: Settings, deps: list[Department]) -> int:
    """Departments created after the first start (plan import) get their demo liaison too."""
    if not s.seed_demo_users or s.environment == "production" or not deps:
        return 0
    password_hash = password_hasher(s).hash(s.demo_liaison_password.get_secret_value())
    taken = await people_repo.all_usernames(tx.conn)
    for dep in sorted(deps, key=lambda d: d.id):
        user = demo_liaison(s, dep, readable_username(dep, taken))
        await repo.insert_user(tx.conn, user, password_hash)
        user_changed(tx, user, None)
    return len(deps)


async def create_department(ledger: Ledger, actor: User, dep: Department) -> Department:
    async with ledger.transaction() as tx:
        if await repo.get_department(tx.conn, dep.id) is not None:
            raise DomainError("单位已存在")
        await upsert_department(tx, dep, actor.id)
    return dep


async def _hash(settings: Settings, password: str) -> str:
    # argon2 is slow on purpose: never on the event loop.
    return await asyncio.to_thread(password_hasher(settings).hash, password)


async def create_user(ledger: Ledger, actor: User, user: User, password: str) -> User:
    """A new account; its initial password must be changed at first login when the settings
    force it (production)."""
    s = ledger.settings
    check_policy(s, user.username, password)
    user = replace(user, must_change_password=s.forces_password_change)
    password_hash = await _hash(s, password)
    async with ledger.transaction() as tx:
        await _check_user(tx, user)
        if await repo.get_user_credentials(tx.conn, user.username) is not None:
            raise DomainError("用户名已存在")
        if await repo.get_user(tx.conn, user.id) is not None:
            raise DomainError("用户编号已被占用，请换一个用户名")
        await repo.insert_user(tx.conn, user, password_hash)
        user_changed(tx, user, actor.id)
    return user


async def update_user(
    ledger: Ledger, actor: User, user_id: str, changes: dict[str, object], password: str | None
) -> User:
    """An admin's change. A password reset or a deactivation ends every token and page
    session of the user (the credential version moves on)."""
    s = ledger.settings
    new_hash = None
    if password:
        async with ledger.reading() as conn:
            current = await repo.get_user(conn, user_id)
        if current is None:
            raise DomainError("用户不存在")
        check_policy(s, current.username, password)
        new_hash = await _hash(s, password)
    async with ledger.transaction() as tx:
        current = await repo.get_user(tx.conn, user_id)
        if current is None:
            raise DomainError("用户不存在")
        user = replace(current, **changes)  # type: ignore[arg-type]
        await _check_user(tx, user)
        await repo.update_user(tx.conn, user, new_hash)
        deactivated = current.active and not user.active
        if new_hash is not None or deactivated:
            must_change = s.forces_password_change if new_hash is not None else None
            await auth_repo.set_credentials(tx.conn, user.id, new_hash, must_change)
            if new_hash is not None:
                await auth_repo.revoke_user_sessions(tx.conn, user.id)
            user = await repo.get_user(tx.conn, user.id) or user
        user_changed(tx, user, actor.id)
    return user


async def widen_scope(tx: Transaction, user: User, plan_ids: list[str]) -> User:
    """Add plans to a scoped supervisor's scope (the plans they import)."""
    current = await repo.get_user(tx.conn, user.id) or user
    widened = replace(current, plan_ids=tuple(dict.fromkeys((*current.plan_ids, *plan_ids))))
    await repo.update_user(tx.conn, widened, None)
    user_changed(tx, widened, user.id)
    return widened


async def _check_user(tx: Transaction, user: User) -> None:
    if user.plan_ids:
        if user.role not in authz.SCOPED_ROLES:
            raise DomainError("只有督查人员和领导小组成员可以限定督办方案范围")
        unknown = [p for p in user.plan_ids if not await repo.plan_exists(tx.conn, p)]
        if unknown:
            raise DomainError(f"方案不存在：{'、'.join(unknown)}")
    if user.role in (Role.LIAISON, Role.DEPARTMENT_HEAD):
        if not user.department_id:
            raise DomainError("联络员和部门负责人必须属于一个单位")
        if await repo.get_department(tx.conn, user.department_id) is None:
            raise DomainError("单位不存在")
