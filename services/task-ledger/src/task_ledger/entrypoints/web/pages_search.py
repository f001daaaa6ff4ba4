"""Finding and doing work in bulk: the task list with keyword search and filters, batch
签收 / 催办 / 审核 on the ticked tasks (a result per task), and the current list exported
(.xlsx / .csv) or printed. The filters are those of `GET /api/tasks`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints import task_exports
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    checked_form,
    page_user,
    render,
    task_rows,
    text,
)
from task_ledger.service_layer import batch as bulk
from task_ledger.service_layer import queries as q

Me = Annotated[User, Depends(page_user)]
PAGE_SIZE = 100
PRINT_LIMIT = 2_000  # a print view longer than this is better exported
FILTER_KEYS = ("q", "plan", "department", "status", "light", "overdue", "due_from", "due_to")
router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _day(params: QueryParams, name: str, label: str) -> date | None:
    value = params.get(name) or ""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise DomainError(f"{label}日期格式不正确") from None


def search_of(me: User, params: QueryParams) -> q.TaskSearch:
    """The list's filters from the query string; bad values get a Chinese 422 page."""
    try:
        status = TaskStatus(params["status"]) if params.get("status") else None
        lamp = Light(params["light"]) if params.get("light") else None
    except ValueError:
        raise DomainError("筛选条件不正确") from None
    due_from, due_to = _day(params, "due_from", "起始"), _day(params, "due_to", "截止")
    if due_from and due_to and due_from > due_to:
        raise DomainError("完成时限的起始日期不能晚于截止日期")
    keyword = (params.get("q") or "").strip()
    if len(keyword) > 100:
        raise DomainError("关键词过长（上限 100 字）")
    overseer = me.role in authz.OVERSEERS
    return q.TaskSearch(
        department_id=(params.get("department") or None) if overseer else None,
        plan_id=params.get("plan") or None,
        status=status,
        light=lamp,
        overdue=bool(params.get("overdue")),
        due_before=due_to,
        text=keyword or None,
        due_after=due_from,
    )


def _filters(params: QueryParams) -> dict[str, str]:
    return {k: params[k] for k in FILTER_KEYS if params.get(k)}


@router.get("/tasks")
async def task_list(request: Request, me: Me) -> Response:
    ledger = get_ledger(request)
    params = request.query_params
    search = search_of(me, params)
    page_text = params.get("page", "1")
    page = min(int(page_text), 100_000) if page_text.isdigit() and int(page_text) > 0 else 1
    total, shown = await q.find_tasks(ledger, me, search, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    overseer = me.role in authz.OVERSEERS
    async with ledger.reading() as conn:
        names = await q.department_names(conn)
        plans = await q.plans(conn, authz.plan_scope(me)) if overseer else []
    filters = _filters(params)
    return render(
        request,
        "task_list.html",
        tasks=task_rows(request, shown, names),
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=filters,
        plans=plans,
        departments=sorted(names.items(), key=lambda kv: kv[1]) if overseer else [],
        statuses=list(TaskStatus),
        lights=list(Light),
        select_all=params.get("select") == "all",
        batch_actions=_batch_actions(me),
    )


def _batch_actions(me: User) -> list[tuple[str, str]]:
    """The batch buttons this user may press (the handlers check each task again)."""
    if authz.is_decider(me):
        return [(a.value, a.label) for a in bulk.BatchAction if a != bulk.BatchAction.ACKNOWLEDGE]
    if me.role in authz.DEPARTMENT_ROLES:
        return [(bulk.BatchAction.ACKNOWLEDGE.value, bulk.BatchAction.ACKNOWLEDGE.label)]
    return []


@router.get("/tasks/export")
async def export(request: Request, me: Me) -> Response:
    fmt = request.query_params.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise DomainError("导出格式只能是 xlsx 或 csv")
    search = search_of(me, request.query_params)
    return await task_exports.task_list_file(
        get_ledger(request), me, search, "csv" if fmt == "csv" else "xlsx"
    )


@router.get("/tasks/print")
async def print_view(request: Request, me: Me) -> Response:
    ledger = get_ledger(request)
    search = search_of(me, request.query_params)
    total, shown = await q.find_tasks(ledger, me, search, 0, PRINT_LIMIT)
    async with ledger.reading() as conn:
        names = await q.department_names(conn)
        plans = {p.id: p.title for p in await q.plans(conn)}
    return render(
        request,
        "task_print.html",
        rows=task_exports.rows_of(ledger, shown, names, plans),
        total=total,
        limit=PRINT_LIMIT,
        filters=_described(search, names, plans),
        today=ledger.today(),
    )


def _described(search: q.TaskSearch, names: dict[str, str], plans: dict[str, str]) -> list[str]:
    """The filters in words, printed above the list."""
    out: list[str] = []
    if search.text:
        out.append(f"关键词“{search.text}”")
    if search.plan_id:
        out.append(f"方案：{plans.get(search.plan_id, search.plan_id)}")
    if search.department_id:
        out.append(f"单位：{names.get(search.department_id, search.department_id)}")
    if search.status:
        out.append(f"状态：{search.status.label}")
    if search.light:
        out.append(f"亮灯：{search.light.label}")
    if search.overdue:
        out.append("只看逾期")
    if search.due_after or search.due_before:
        out.append(f"完成时限：{search.due_after or '…'} 至 {search.due_before or '…'}")
    return out


@router.post("/tasks/batch")
async def batch(request: Request, me: Me) -> Response:
    form = await checked_form(request)
    try:
        action = bulk.BatchAction(text(form, "action", 20))
    except ValueError:
        raise DomainError("请选择批量操作") from None
    task_ids = [v for v in form.getlist("task_id") if isinstance(v, str)]
    message = text(form, "text", 2000)
    if action == bulk.BatchAction.REMIND and not message:
        message = "请抓紧办理并及时报送进展。"
    ledger = get_ledger(request)
    results = await bulk.run(ledger, me, action, task_ids, message)
    async with ledger.reading() as conn:
        titles = await q.task_titles(conn, me, [r.task_id for r in results])
        # Child tasks share their parent's title: the lead department tells them apart.
        leads = await q.task_lead_names(conn, me, [r.task_id for r in results])
    back = text(form, "back", 2000)
    return render(
        request,
        "batch_result.html",
        action=action,
        results=[
            (r, titles.get(r.task_id, "（无权查看的任务）"), leads.get(r.task_id, ""))
            for r in results
        ],
        succeeded=sum(r.ok for r in results),
        failed=sum(not r.ok for r in results),
        back=back if back.startswith("/tasks") and not back.startswith("//") else "/tasks",
    )
