"""Loading and storing domain objects with SQLAlchemy Core on the unit of work's connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
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

from duban_contracts.vocabulary import (
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    Role,
    TaskStatus,
)
from task_ledger.adapters import tables as t
from task_ledger.domain.model import (
    Attachment,
    CompletionRequest,
    Department,
    ExtensionRequest,
    ProgressReport,
    SupervisionNotice,
    Task,
    User,
)


# --- departments and users ----------------------------------------------------------------
def department_from(row: Any) -> Department:
    return Department(
        id=row.id,
        name=row.name,
        jurisdiction=row.jurisdiction,
        level=JurisdictionLevel(row.level),
        parent_id=row.parent_id,
    )


async def get_department(conn: AsyncConnection, department_id: str) -> Department | None:
    row = (
        await conn.execute(select(t.departments).where(t.departments.c.id == department_id))
    ).first()
    return department_from(row) if row else None


async def get_departments(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, Department]:
    rows = (await conn.execute(select(t.departments).where(t.departments.c.id.in_(ids)))).all()
    return {r.id: department_from(r) for r in rows}


async def list_departments(conn: AsyncConnection) -> list[Department]:
    rows = (await conn.execute(select(t.departments).order_by(t.departments.c.id))).all()
    return [department_from(r) for r in rows]


async def upsert_department(conn: AsyncConnection, dep: Department) -> bool:
    """Insert or update; returns True when something changed."""
    values = {
        "name": dep.name,
        "jurisdiction": dep.jurisdiction,
        "level": dep.level.value,
        "parent_id": dep.parent_id,
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
    )


async def get_user(conn: AsyncConnection, user_id: str) -> User | None:
    row = (await conn.execute(select(t.users).where(t.users.c.id == user_id))).first()
    return user_from(row) if row else None


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
    }
    if password_hash is not None:
        values["password_hash"] = password_hash
    await conn.execute(update(t.users).where(t.users.c.id == user.id).values(**values))


async def plan_exists(conn: AsyncConnection, plan_id: str) -> bool:
    return (
        await conn.execute(select(t.plans.c.id).where(t.plans.c.id == plan_id))
    ).first() is not None


# --- tasks ---------------------------------------------------------------------------------
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
_INSERT_REPORT = insert(t.progress_reports)
_INSERT_ATTACHMENT = insert(t.attachments)
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


async def get_children(conn: AsyncConnection, task_id: str) -> list[Task]:
    rows = (
        await conn.execute(
            select(t.tasks).where(t.tasks.c.parent_task_id == task_id).order_by(t.tasks.c.id)
        )
    ).all()
    return [task_from(r) for r in rows]


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
    roles = [(d, "lead") for d in task.lead_department_ids] + [
        (d, "supporting")
        for d in task.supporting_department_ids
        if d not in task.lead_department_ids
    ]
    await conn.execute(
        insert(t.task_departments),
        [{"task_id": task.id, "department_id": d, "role": r} for d, r in roles],
    )


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


def task_query(f: TaskFilter) -> Any:
    conds: list[Any] = []
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
    return [task_from(r) for r in (await conn.execute(query)).all()]


async def count_tasks(conn: AsyncConnection, f: TaskFilter) -> int:
    sub = task_query(f).order_by(None).subquery()
    return int(await conn.scalar(select(func.count()).select_from(sub)) or 0)


# --- reports, requests, notices -------------------------------------------------------------
def report_writes(report: ProgressReport, now: datetime) -> list[tuple[Executable, Any]]:
    """The writes storing a progress report and its attachments' records."""
    writes: list[tuple[Executable, Any]] = [
        (
            _INSERT_REPORT,
            {
                "id": report.id,
                "task_id": report.task_id,
                "department_id": report.department_id,
                "author_id": report.author_id,
                "percent": report.percent,
                "done_work": report.done_work,
                "next_steps": report.next_steps,
                "problems": report.problems,
                "coordination_needed": report.coordination_needed,
                "period": report.period,
                "created_at": now,
            },
        )
    ]
    for a in report.attachments:
        row = {
            "id": a.id,
            "task_id": report.task_id,
            "report_id": report.id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "created_at": now,
        }
        writes.append((_INSERT_ATTACHMENT, row))
    return writes


async def list_reports(conn: AsyncConnection, task_id: str) -> list[ProgressReport]:
    rows = (
        await conn.execute(
            select(t.progress_reports)
            .where(t.progress_reports.c.task_id == task_id)
            .order_by(t.progress_reports.c.created_at, t.progress_reports.c.id)
        )
    ).all()
    atts = (
        await conn.execute(select(t.attachments).where(t.attachments.c.task_id == task_id))
    ).all()
    by_report: dict[str, list[Attachment]] = {}
    for a in atts:
        by_report.setdefault(a.report_id, []).append(
            Attachment(a.id, a.filename, a.content_type, a.size, a.sha256)
        )
    return [
        ProgressReport(
            id=r.id,
            task_id=r.task_id,
            department_id=r.department_id,
            author_id=r.author_id,
            percent=r.percent,
            done_work=r.done_work,
            next_steps=r.next_steps,
            problems=r.problems,
            coordination_needed=r.coordination_needed,
            period=r.period,
            attachments=tuple(by_report.get(r.id, ())),
            created_at=r.created_at,
        )
        for r in rows
    ]


async def get_attachment(conn: AsyncConnection, task_id: str, attachment_id: str) -> Any:
    return (
        await conn.execute(
            select(t.attachments).where(
                t.attachments.c.id == attachment_id, t.attachments.c.task_id == task_id
            )
        )
    ).first()


def extension_from(r: Any) -> ExtensionRequest:
    return ExtensionRequest(
        id=r.id,
        task_id=r.task_id,
        requested_by=r.requested_by,
        requested_due_on=r.requested_due_on,
        previous_due_on=r.previous_due_on,
        reason=r.reason,
        decision=Decision(r.decision) if r.decision else None,
        decided_by=r.decided_by,
        comment=r.comment,
    )


async def list_extensions(conn: AsyncConnection, task_id: str) -> list[ExtensionRequest]:
    rows = (
        await conn.execute(
            select(t.extension_requests)
            .where(t.extension_requests.c.task_id == task_id)
            .order_by(t.extension_requests.c.created_at, t.extension_requests.c.id)
        )
    ).all()
    return [extension_from(r) for r in rows]


def completion_from(r: Any) -> CompletionRequest:
    return CompletionRequest(
        id=r.id,
        task_id=r.task_id,
        requested_by=r.requested_by,
        summary=r.summary,
        evidence=tuple(r.evidence or ()),
        decision=Decision(r.decision) if r.decision else None,
        decided_by=r.decided_by,
        comment=r.comment,
    )


async def list_completions(conn: AsyncConnection, task_id: str) -> list[CompletionRequest]:
    rows = (
        await conn.execute(
            select(t.completion_requests)
            .where(t.completion_requests.c.task_id == task_id)
            .order_by(t.completion_requests.c.created_at, t.completion_requests.c.id)
        )
    ).all()
    return [completion_from(r) for r in rows]


def notice_from(r: Any) -> SupervisionNotice:
    return SupervisionNotice(
        id=r.id,
        task_id=r.task_id,
        department_id=r.department_id,
        level=EscalationLevel(r.level),
        requirements=r.requirements,
        reply_due_on=r.reply_due_on,
        issued_by=r.issued_by,
        answer=r.answer,
        answered_by=r.answered_by,
    )


async def list_notices(conn: AsyncConnection, task_id: str) -> list[SupervisionNotice]:
    rows = (
        await conn.execute(
            select(t.supervision_notices)
            .where(t.supervision_notices.c.task_id == task_id)
            .order_by(t.supervision_notices.c.issued_at, t.supervision_notices.c.id)
        )
    ).all()
    return [notice_from(r) for r in rows]


async def list_timeline(conn: AsyncConnection, task_id: str) -> list[Any]:
    return list(
        (
            await conn.execute(
                select(t.timeline).where(t.timeline.c.task_id == task_id).order_by(t.timeline.c.id)
            )
        ).all()
    )


async def list_inbox(conn: AsyncConnection, user_id: str, unread_only: bool) -> list[Any]:
    query = select(t.inbox_messages).where(t.inbox_messages.c.user_id == user_id)
    if unread_only:
        query = query.where(t.inbox_messages.c.read_at.is_(None))
    return list(
        (
            await conn.execute(
                query.order_by(t.inbox_messages.c.at.desc(), t.inbox_messages.c.id.desc())
            )
        ).all()
    )


def any_of(*conds: Any) -> Any:
    return or_(*conds)
