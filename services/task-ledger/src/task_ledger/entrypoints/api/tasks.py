"""Tasks: the list, one task, its timeline, its transitions, decomposition and reminders.
Every route with a task id goes through `handlers.load_task`/`read_task` (object-level
authorization); the route-walking test enforces it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import Task
from task_ledger.entrypoints import paging, task_exports
from task_ledger.entrypoints.bulk_models import BatchBody, BatchOut, BatchResultOut
from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.downloads import ANY_FILE
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import (
    CompletionRequestOut,
    DepartmentOut,
    ExtensionRequestOut,
    ProgressReportOut,
    Queued,
    SupervisionNoticeOut,
    TaskDetail,
    TaskOut,
    TaskPage,
    TimelineEntryOut,
)
from task_ledger.entrypoints.schemas import DecomposeBody, ReminderBody
from task_ledger.entrypoints.task_exports import ExportFormat
from task_ledger.service_layer import batch as bulk
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries
from task_ledger.service_layer.uow import Ledger

router = APIRouter(prefix="/tasks", tags=["tasks"])


def task_out(ledger: Ledger, task: Task) -> TaskOut:
    return TaskOut.of(task, ledger.today(), ledger.settings.warning_days)


Keyword = Annotated[
    str | None,
    Query(max_length=100, description="关键词：任务名称、措施原文、进展填报内容（包含即匹配）"),
]


def task_search(
    department_id: str | None = None,
    plan_id: str | None = None,
    status: TaskStatus | None = None,
    light: Annotated[Light | None, Query()] = None,
    overdue: bool = False,
    due_after: Annotated[date | None, Query(description="完成时限不早于")] = None,
    due_before: Annotated[date | None, Query(description="完成时限不晚于")] = None,
    parent_task_id: str | None = None,
    q: Keyword = None,
) -> queries.TaskSearch:
    """The filters of a task list, shared by the list and its export."""
    if due_after and due_before and due_after > due_before:
        raise DomainError("完成时限的起始日期不能晚于截止日期")
    return queries.TaskSearch(
        department_id,
        plan_id,
        status,
        light,
        overdue,
        due_before,
        parent_task_id,
        text=(q or "").strip() or None,
        due_after=due_after,
    )


Search = Annotated[queries.TaskSearch, Depends(task_search)]


@router.get("", summary="任务列表（关键词搜索、筛选、分页）")
async def list_tasks(
    ledger: LedgerDep,
    me: CurrentUser,
    search: Search,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TaskPage:
    total, tasks = await queries.find_tasks(ledger, me, search, (page - 1) * page_size, page_size)
    items = [task_out(ledger, x) for x in tasks]
    return TaskPage(items=items, total=total, page=page, page_size=page_size)


@router.get(
    "/export",
    summary="导出当前筛选的任务清单（csv / xlsx）",
    response_class=Response,
    responses=ANY_FILE,
)
async def export_tasks(
    ledger: LedgerDep, me: CurrentUser, search: Search, format: ExportFormat = "xlsx"
) -> Response:
    return await task_exports.task_list_file(ledger, me, search, format)


@router.post("/batch", summary="批量签收、催办、审核（逐项办理，逐项返回结果）")
async def batch(ledger: LedgerDep, me: CurrentUser, body: BatchBody) -> BatchOut:
    results = await bulk.run(ledger, me, body.action, body.task_ids, body.text)
    return BatchOut(
        action=body.action,
        succeeded=sum(r.ok for r in results),
        failed=sum(not r.ok for r in results),
        results=[BatchResultOut.model_validate(r) for r in results],
    )


@router.get("/{task_id}", summary="任务详情（含最新一页填报与时间线）")
async def task_detail(ledger: LedgerDep, me: CurrentUser, task_id: str) -> TaskDetail:
    found = await queries.read_task_file(ledger, me, task_id)
    return TaskDetail(
        **task_out(ledger, found.task).model_dump(),
        departments=[DepartmentOut.of(d) for d in found.departments.values()],
        children=[task_out(ledger, c) for c in found.children],
        progress_reports=[ProgressReportOut.model_validate(r) for r in found.reports],
        progress_reports_total=found.reports_total,
        timeline=[TimelineEntryOut.of(r) for r in found.timeline],
        timeline_total=found.timeline_total,
        extension_requests=[ExtensionRequestOut.model_validate(r) for r in found.extensions],
        completion_requests=[CompletionRequestOut.model_validate(r) for r in found.completions],
        supervision_notices=[SupervisionNoticeOut.model_validate(r) for r in found.notices],
    )


@router.get("/{task_id}/timeline", summary="任务时间线（分页，默认最新在前）")
async def timeline(
    request: Request,
    response: Response,
    ledger: LedgerDep,
    me: CurrentUser,
    task_id: str,
    page: paging.Page = 1,
    page_size: paging.PageSize = 50,
    order: Literal["newest", "oldest"] = "newest",
) -> list[TimelineEntryOut]:
    rows, total = await queries.timeline(
        ledger, me, task_id, page, page_size, newest_first=order == "newest"
    )
    paging.announce(request, response, page, page_size, total)
    return [TimelineEntryOut.of(r) for r in rows]


@router.post("/{task_id}/dispatch", summary="交办")
async def dispatch(ledger: LedgerDep, me: CurrentUser, task_id: str) -> TaskOut:
    return task_out(ledger, await h.dispatch(ledger, me, task_id))


@router.post("/{task_id}/acknowledge", summary="签收")
async def acknowledge(ledger: LedgerDep, me: CurrentUser, task_id: str) -> TaskOut:
    return task_out(ledger, await h.acknowledge(ledger, me, task_id))


@router.post("/{task_id}/start", summary="开始办理")
async def start(ledger: LedgerDep, me: CurrentUser, task_id: str) -> TaskOut:
    return task_out(ledger, await h.start(ledger, me, task_id))


@router.post("/{task_id}/close", summary="销号")
async def close(ledger: LedgerDep, me: CurrentUser, task_id: str) -> TaskOut:
    return task_out(ledger, await h.close(ledger, me, task_id))


@router.post("/{task_id}/decompose", status_code=201, summary="分解为下级任务")
async def decompose(
    ledger: LedgerDep, me: CurrentUser, task_id: str, body: DecomposeBody
) -> list[TaskOut]:
    specs = [
        h.ChildSpec(
            c.title, tuple(c.lead_department_ids), tuple(c.supporting_department_ids), c.due_on
        )
        for c in body.children
    ]
    return [task_out(ledger, x) for x in await h.decompose(ledger, me, task_id, specs)]


@router.post(
    "/{task_id}/reminders", status_code=202, summary="催办", dependencies=[limited("reminder")]
)
async def remind(ledger: LedgerDep, me: CurrentUser, task_id: str, body: ReminderBody) -> Queued:
    command_id = await h.send_reminder(ledger, me, task_id, body.message, body.level)
    return Queued(command_id=command_id)
