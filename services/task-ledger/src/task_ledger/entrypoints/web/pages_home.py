"""Home pages (a liaison's department, a supervisor's overview) and the in-app inbox."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain import authz
from task_ledger.domain.lifecycle import WORKING
from task_ledger.domain.light import is_overdue, light
from task_ledger.domain.model import User
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    LIGHT_ORDER,
    PageRoute,
    checked_form,
    page_user,
    redirect,
    render,
    safe_next,
    task_rows,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import completions as completion_requests
from task_ledger.service_layer import dashboards, inbound
from task_ledger.service_layer import queries as q

Me = Annotated[User, Depends(page_user)]
COUNT_KEYS = ("total", "lead", "green", "yellow", "red", "done", "overdue")
router = APIRouter(route_class=PageRoute, include_in_schema=False)


def counts(c: Counter[str]) -> dict[str, int]:
    """Plain dict for the templates (a Counter's `.total` is a method)."""
    return {k: c[k] for k in COUNT_KEYS}


router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
async def home(request: Request, me: Me) -> Response:
    if me.role in authz.OVERSEERS:
        return await supervisor_home(request, me)
    return await liaison_home(request, me)


async def liaison_home(request: Request, me: User) -> Response:
    ledger = get_ledger(request)
    today = ledger.today()
    period = today.strftime("%Y-%m")
    async with ledger.reading() as conn:
        tasks = await q.visible_tasks(conn, me)
        names = await q.department_names(conn)
        reported = await dashboards.reported_task_ids(conn, me.department_id or "-", period)
        monthly = await dashboards.monthly_request(conn, me.department_id or "-", period)
        inbox = await q.inbox_of(conn, me, True)
        notices = await dashboards.notices_for_department(conn, me.department_id or "-")
    items = task_rows(request, tasks, names)
    items.sort(key=lambda v: (LIGHT_ORDER[v["light"]], v["due_on"] or date.max))
    open_items = [v for v in items if TaskStatus(v["status"]).is_open]
    needs_report = [
        v for v in open_items if TaskStatus(v["status"]) in WORKING and v["id"] not in reported
    ]
    to_acknowledge = [
        v
        for v in open_items
        if v["status"] == TaskStatus.DISPATCHED.value
        and me.department_id in v["lead_department_ids"]
    ]
    lights = Counter(v["light"] for v in open_items)
    return render(
        request,
        "home_liaison.html",
        department=names.get(me.department_id or "", ""),
        tasks=open_items,
        finished=[v for v in items if not TaskStatus(v["status"]).is_open],
        lights=[(lt, lights[lt.value]) for lt in (Light.RED, Light.YELLOW, Light.GREEN)],
        needs_report=needs_report,
        to_acknowledge=to_acknowledge,
        period=period,
        monthly=monthly,
        inbox=inbox,
        notices=notices,
        today=today,
    )


def tally(
    tasks: list[q.Schedule], lamps: list[Light], late: list[bool]
) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
    """Tasks counted by light (open ones) or done, and overdue, per plan and per department."""
    by_plan: dict[str, Counter[str]] = {}
    by_dep: dict[str, Counter[str]] = {}
    for task, lamp, overdue in zip(tasks, lamps, late, strict=True):
        key = lamp.value if task.status.is_open else "done"
        bucket = by_plan.get(task.plan_id) or by_plan.setdefault(task.plan_id, Counter())
        bucket[key] += 1
        bucket["total"] += 1
        bucket["overdue"] += overdue
        for dep_id in task.department_ids:
            c = by_dep.get(dep_id) or by_dep.setdefault(dep_id, Counter())
            c[key] += 1
            c["total"] += 1
            c["overdue"] += overdue
            c["lead"] += dep_id in task.lead_department_ids
    return by_plan, by_dep


async def supervisor_home(request: Request, me: User) -> Response:
    ledger = get_ledger(request)
    today = ledger.today()
    plan_id = request.query_params.get("plan") or None
    scope = authz.plan_scope(me)
    async with ledger.reading() as conn:
        plans = await q.plans(conn, scope)
        tasks = await q.schedules(conn, me, plan_id)
        names = await q.department_names(conn)
        completions = await dashboards.pending_completions(conn, scope)
        evidence = await completion_requests.evidence_of(conn, [c.id for c in completions])
        extensions = await dashboards.pending_extensions(conn, scope)
        escalations = await dashboards.escalations(conn, scope)
        missing = await dashboards.missing_reports(conn, scope)
        notices = await dashboards.open_notices(conn, scope)
        inbox = await q.inbox_of(conn, me, True)
    # Every task is counted by its light: the light alone, not a whole row per task (10,000
    # rows cost a second); full rows only for the overdue list shown.
    warning = ledger.settings.warning_days
    lamps = [light(x, today, warning) for x in tasks]
    late = [is_overdue(x, today) for x in tasks]
    plan_titles = {p.id: p.title for p in plans}
    by_plan, by_dep = tally(tasks, lamps, late)
    worst = sorted(
        (x for x, o in zip(tasks, late, strict=True) if o and x.due_on),
        key=lambda x: x.due_on or today,
    )
    async with ledger.reading() as conn:
        shown = await q.tasks_by_id(conn, [x.id for x in worst[:100]])
    overdue = task_rows(request, shown, names)
    departments = sorted(
        by_dep.items(), key=lambda kv: (-kv[1]["red"], -kv[1]["overdue"], names.get(kv[0], ""))
    )
    drafts = sum(1 for t in tasks if t.status == TaskStatus.DRAFT)
    return render(
        request,
        "home_supervisor.html",
        plans=plans,
        plan_id=plan_id,
        plan_titles=plan_titles,
        by_plan=[
            (p, counts(c))
            for p, c in sorted(by_plan.items(), key=lambda kv: plan_titles.get(kv[0], kv[0]))
        ],
        departments=[(d, names.get(d, d), counts(c)) for d, c in departments],
        overdue=overdue[:100],
        overdue_total=len(worst),
        completions=completions,
        evidence=evidence,
        progress={t.id: t.progress for t in tasks},
        extensions=extensions,
        escalations=escalations,
        missing=missing,
        notices=notices,
        inbox=inbox,
        names=names,
        drafts=drafts,
        today=today,
    )


# --- inbox --------------------------------------------------------------------------------
INBOX_PAGE_SIZE = 30


@router.get("/inbox")
async def inbox(request: Request, me: Me) -> Response:
    """The inbox a page at a time, newest first; by kind (q.INBOX_KINDS) or unread only."""
    params = request.query_params
    kind = params.get("kind") if params.get("kind") in q.INBOX_KINDS else None
    unread_only = params.get("unread") == "1"
    page_text = params.get("page", "1")
    page = min(int(page_text), 100_000) if page_text.isdigit() and int(page_text) > 0 else 1
    messages, total, unread = await q.inbox_page(
        get_ledger(request), me, unread_only, kind, page, INBOX_PAGE_SIZE
    )
    filters = {k: v for k, v in (("kind", kind), ("unread", "1" if unread_only else None)) if v}
    return render(
        request,
        "inbox.html",
        messages=messages,
        total=total,
        unread_total=unread,
        page=page,
        pages=max(1, -(-total // INBOX_PAGE_SIZE)),
        kinds=list(q.INBOX_KIND_LABELS.items()),
        kind=kind,
        unread_only=unread_only,
        filters=filters,
    )


@router.post("/inbox/read-all")
async def mark_all_read(request: Request, me: Me) -> Response:
    await checked_form(request)
    marked = await inbound.mark_all_read(get_ledger(request), me.id)
    get_session(request).flash(f"已将 {marked} 条消息标为已读", "success")
    return redirect("/inbox")


@router.post("/inbox/{message_id}/read")
async def mark_read(request: Request, me: Me, message_id: str) -> Response:
    form = await checked_form(request)
    await inbound.mark_read(get_ledger(request), me.id, message_id)
    nxt = form.get("next")
    return redirect(safe_next(nxt if isinstance(nxt, str) else None, "/inbox"))
