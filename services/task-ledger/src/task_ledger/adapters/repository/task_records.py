"""What hangs off a task: progress reports and their attachments, completion and extension
requests, supervision notices, the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from duban_contracts.vocabulary import Decision, EscalationLevel
from task_ledger.adapters import tables as t
from task_ledger.domain.lifecycle import WITHDRAWN
from task_ledger.domain.model import (
    Attachment,
    CompletionRequest,
    ExtensionRequest,
    ProgressReport,
    SupervisionNotice,
)

# The hot path's statements (a progress report, a task's file), built once with bound
# parameters: one built per call cost SQLAlchemy its construction and cache key every time,
# about a quarter of a task view's CPU.
_INSERT_REPORT = insert(t.progress_reports)
_INSERT_ATTACHMENT = insert(t.attachments)
_REPORTS = (
    select(t.progress_reports)
    .where(t.progress_reports.c.task_id == bindparam("task_id"))
    .order_by(t.progress_reports.c.created_at.desc(), t.progress_reports.c.id.desc())
)
_REPORTS_PAGE = _REPORTS.offset(bindparam("offset")).limit(bindparam("limit"))
_ATTACHMENTS = select(t.attachments).where(
    t.attachments.c.report_id.in_(bindparam("owner_ids", expanding=True))
)
_TASK_ATTACHMENTS = _ATTACHMENTS.where(t.attachments.c.task_id == bindparam("task_id"))


def _of_task(table: Table, at: str) -> Select[Any]:
    """A task's rows of one table, oldest first (ties by id)."""
    task_id = table.c.task_id == bindparam("task_id")
    return select(table).where(task_id).order_by(table.c[at], table.c.id)


_EXTENSIONS = _of_task(t.extension_requests, "created_at")
_COMPLETIONS = _of_task(t.completion_requests, "created_at")
_NOTICES = _of_task(t.supervision_notices, "issued_at")
_TIMELINE = select(t.timeline).where(t.timeline.c.task_id == bindparam("task_id"))
_TIMELINE_NEWEST = _TIMELINE.order_by(t.timeline.c.id.desc())
_TIMELINE_OLDEST = _TIMELINE.order_by(t.timeline.c.id)
_PAGE = {
    True: _TIMELINE_NEWEST.offset(bindparam("offset")).limit(bindparam("limit")),
    False: _TIMELINE_OLDEST.offset(bindparam("offset")).limit(bindparam("limit")),
}


def _count(table: Table) -> Select[Any]:
    return select(func.count()).select_from(table).where(table.c.task_id == bindparam("task_id"))


_COUNT_TIMELINE = _count(t.timeline)
_COUNT_REPORTS = _count(t.progress_reports)


def _paged(whole: Select[Any], page: Select[Any], offset: int, limit: int | None) -> Any:
    """The statement and its parameters for a page (`limit` None: from `offset` on)."""
    if limit is None:
        return (whole.offset(offset) if offset else whole), {}
    return page, {"offset": offset, "limit": limit}


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


async def list_reports(
    conn: AsyncConnection, task_id: str, offset: int = 0, limit: int | None = None
) -> list[ProgressReport]:
    """A task's progress reports, newest first (one page of them with `limit`)."""
    query, params = _paged(_REPORTS, _REPORTS_PAGE, offset, limit)
    rows = (await conn.execute(query, {"task_id": task_id, **params})).all()
    by_report = await attachments_of(conn, task_id, [r.id for r in rows])
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
        decision=Decision(r.decision) if r.decision and r.decision != WITHDRAWN else None,
        decided_by=r.decided_by,
        comment=r.comment,
        withdrawn=r.decision == WITHDRAWN,
    )


async def withdraw_extension(conn: AsyncConnection, request_id: str, now: datetime) -> None:
    """The requester takes a pending extension request back (kept, marked withdrawn)."""
    await conn.execute(
        update(t.extension_requests)
        .where(t.extension_requests.c.id == request_id)
        .values(decision=WITHDRAWN, decided_at=now)
    )


async def list_extensions(conn: AsyncConnection, task_id: str) -> list[ExtensionRequest]:
    rows = (await conn.execute(_EXTENSIONS, {"task_id": task_id})).all()
    return [extension_from(r) for r in rows]


def completion_from(r: Any, files: Sequence[Attachment] = ()) -> CompletionRequest:
    return CompletionRequest(
        id=r.id,
        task_id=r.task_id,
        requested_by=r.requested_by,
        summary=r.summary,
        evidence=tuple(r.evidence or ()),
        decision=Decision(r.decision) if r.decision else None,
        decided_by=r.decided_by,
        comment=r.comment,
        explanation=r.explanation or "",
        files=tuple(files),
    )


async def attachments_of(
    conn: AsyncConnection, task_id: str | None, owner_ids: Sequence[str]
) -> dict[str, list[Attachment]]:
    """Attachment records by owner: a progress report's or a completion request's id (of one
    task, or of any with `task_id` None)."""
    if not owner_ids:
        return {}
    params: dict[str, Any] = {"owner_ids": list(owner_ids)}
    if task_id is not None:
        params["task_id"] = task_id
    query = _ATTACHMENTS if task_id is None else _TASK_ATTACHMENTS
    by_owner: dict[str, list[Attachment]] = {}
    for row in (await conn.execute(query, params)).all():
        by_owner.setdefault(row.report_id, []).append(
            Attachment(row.id, row.filename, row.content_type, row.size, row.sha256)
        )
    return by_owner


async def list_completions(conn: AsyncConnection, task_id: str) -> list[CompletionRequest]:
    """A task's completion requests, oldest first, each with its evidence files."""
    rows = (await conn.execute(_COMPLETIONS, {"task_id": task_id})).all()
    files = await attachments_of(conn, task_id, [r.id for r in rows])
    return [completion_from(r, files.get(r.id, ())) for r in rows]


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
    rows = (await conn.execute(_NOTICES, {"task_id": task_id})).all()
    return [notice_from(r) for r in rows]


async def list_timeline(
    conn: AsyncConnection,
    task_id: str,
    offset: int = 0,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[Any]:
    """A task's timeline entries (one page of them with `limit`)."""
    whole = _TIMELINE_NEWEST if newest_first else _TIMELINE_OLDEST
    query, params = _paged(whole, _PAGE[newest_first], offset, limit)
    return list((await conn.execute(query, {"task_id": task_id, **params})).all())


async def count_timeline(conn: AsyncConnection, task_id: str) -> int:
    return int((await conn.execute(_COUNT_TIMELINE, {"task_id": task_id})).scalar_one())


async def count_reports(conn: AsyncConnection, task_id: str) -> int:
    return int((await conn.execute(_COUNT_REPORTS, {"task_id": task_id})).scalar_one())


async def insert_completion(
    conn: AsyncConnection, request: CompletionRequest, now: datetime
) -> None:
    await conn.execute(
        insert(t.completion_requests).values(
            id=request.id,
            task_id=request.task_id,
            requested_by=request.requested_by,
            summary=request.summary,
            evidence=list(request.evidence),
            explanation=request.explanation or None,
            created_at=now,
        )
    )
    for a in request.files:  # evidence files hang off the request as a report's do off it
        row = {
            "id": a.id,
            "task_id": request.task_id,
            "report_id": request.id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "created_at": now,
        }
        await conn.execute(_INSERT_ATTACHMENT, row)


async def store_completion_decision(
    conn: AsyncConnection,
    request_id: str,
    decision: Decision,
    decided_by: str,
    comment: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        update(t.completion_requests)
        .where(t.completion_requests.c.id == request_id)
        .values(decision=decision.value, decided_by=decided_by, comment=comment, decided_at=now)
    )


async def insert_extension(conn: AsyncConnection, request: ExtensionRequest, now: datetime) -> None:
    await conn.execute(
        insert(t.extension_requests).values(
            id=request.id,
            task_id=request.task_id,
            requested_by=request.requested_by,
            requested_due_on=request.requested_due_on,
            previous_due_on=request.previous_due_on,
            reason=request.reason,
            created_at=now,
        )
    )


async def store_extension_decision(
    conn: AsyncConnection,
    request_id: str,
    decision: Decision,
    decided_by: str,
    comment: str | None,
    now: datetime,
) -> None:
    await conn.execute(
        update(t.extension_requests)
        .where(t.extension_requests.c.id == request_id)
        .values(decision=decision.value, decided_by=decided_by, comment=comment, decided_at=now)
    )


async def insert_notice(conn: AsyncConnection, notice: SupervisionNotice, now: datetime) -> None:
    await conn.execute(
        insert(t.supervision_notices).values(
            id=notice.id,
            task_id=notice.task_id,
            department_id=notice.department_id,
            level=notice.level.value,
            requirements=notice.requirements,
            reply_due_on=notice.reply_due_on,
            issued_by=notice.issued_by,
            issued_at=now,
        )
    )


async def store_notice_answer(
    conn: AsyncConnection, notice_id: str, answer: str, answered_by: str, now: datetime
) -> None:
    await conn.execute(
        update(t.supervision_notices)
        .where(t.supervision_notices.c.id == notice_id)
        .values(answer=answer, answered_by=answered_by, answered_at=now)
    )
