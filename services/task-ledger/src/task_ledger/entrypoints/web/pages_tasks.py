"""Task lists, the task page, its attachments and its forms (each a service-layer command),
and 交办 of a whole plan."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from duban_contracts.vocabulary import Decision, EscalationLevel, TaskStatus
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.lifecycle import WORKING
from task_ledger.domain.model import User
from task_ledger.entrypoints import downloads
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    a_date,
    act,
    checked_form,
    integer,
    page_user,
    redirect,
    render,
    require_decider,
    safe_next,
    task_rows,
    text,
)
from task_ledger.entrypoints.web.pages_decompose import decomposition_of
from task_ledger.entrypoints.web.pages_indicators import done_milestones, reported_values
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import completions, indicators, rate_limits, uploads
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries as q

Me = Annotated[User, Depends(page_user)]
PAGE_SIZE = 100
router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _page_of(request: Request, name: str) -> int:
    """A page number from the query string; anything else is the first page."""
    value = request.query_params.get(name, "")
    return min(int(value), 100_000) if value.isdigit() and int(value) > 0 else 1


@router.get("/tasks/{task_id}")
async def task_page(request: Request, me: Me, task_id: str) -> Response:
    ledger = get_ledger(request)
    today = ledger.today()
    size = ledger.settings.detail_page_size
    reports_page, timeline_page = _page_of(request, "reports"), _page_of(request, "timeline")
    async with ledger.reading() as conn:
        found = await q.task_file(conn, me, task_id, size, reports_page, timeline_page)
        task, reports, extensions, completions = (
            found.task,
            found.reports,
            found.extensions,
            found.completions,
        )
        plan = await q.plan(conn, task.plan_id)
        measure = await q.measure(conn, task.measure_id)
        # Child tasks go to subordinate departments: show only those this user may see.
        children = [c for c in found.children if authz.can_view_task(me, c)]
        parent = await q.parent_of(conn, me, task)
        timeline = found.timeline
        people = await q.user_names(
            conn,
            [r.actor_id for r in timeline]
            + [r.author_id for r in reports]
            + [x.requested_by for x in extensions]
            + [x.requested_by for x in completions],
        )
    names = {d: dep.name for d, dep in found.departments.items()}
    task_indicators = await indicators.task_indicators(ledger, me, task_id)
    task_milestones = await indicators.task_milestones(ledger, me, task_id)
    v = task_rows(request, [task], names)[0]
    my_dep = me.department_id
    working = task.status in WORKING
    return render(
        request,
        "task.html",
        task=task,
        t=v,
        plan=plan,
        measure=measure,
        lead=[(d, names.get(d, d)) for d in task.lead_department_ids],
        supporting=[(d, names.get(d, d)) for d in task.supporting_department_ids],
        children=task_rows(request, children, names),
        parent=parent,
        reports=reports,
        extensions=extensions,
        completions=completions,
        notices=found.notices,
        timeline=timeline,
        # "更早的…" links: the next page of each, when there is one.
        more_reports=reports_page + 1 if reports_page * size < found.reports_total else None,
        more_timeline=timeline_page + 1 if timeline_page * size < found.timeline_total else None,
        reports_total=found.reports_total,
        timeline_total=found.timeline_total,
        people=people,
        names=names,
        levels=list(EscalationLevel),
        can_report=authz.can_report(me, task) and working,
        is_lead=authz.is_lead_liaison(me, task),
        can_acknowledge=authz.is_lead_liaison(me, task) and task.status == TaskStatus.DISPATCHED,
        can_start=authz.is_lead_liaison(me, task) and task.status == TaskStatus.ACKNOWLEDGED,
        can_request_completion=authz.is_lead_liaison(me, task)
        and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.RETURNED),
        can_request_extension=authz.is_lead_liaison(me, task)
        and task.status.is_open
        and task.status != TaskStatus.DRAFT
        and task.due_on is not None
        and today <= task.due_on
        and not any(x.pending for x in extensions),
        pending_extension=next((x for x in extensions if x.pending), None),
        last_report=reports[0] if reports_page == 1 and reports else None,
        my_dep=my_dep,
        period=today.strftime("%Y-%m"),
        today=today,
        max_files=ledger.settings.max_attachments_per_report,
        max_file_mb=ledger.settings.max_attachment_bytes // 1024 // 1024,
        indicators=task_indicators,
        milestones=task_milestones,
        decomposition=await decomposition_of(request, me, task),
    )


@router.get("/tasks/{task_id}/attachments/{attachment_id}")
async def attachment(request: Request, me: Me, task_id: str, attachment_id: str) -> Response:
    return await downloads.attachment(get_ledger(request), me, task_id, attachment_id)


# --- forms on the task page ---------------------------------------------------------------
def back_to(task_id: str, form: Any = None) -> str:
    nxt = form.get("next") if form is not None else None
    return safe_next(nxt if isinstance(nxt, str) else None, f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/progress")
async def report(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    ledger = get_ledger(request)
    session = get_session(request)
    await q.may_report(ledger, me, task_id)  # refuse before storing any file
    try:
        percent = integer(form, "percent", "进度", 0, 100)
        await rate_limits.count(ledger, me, "progress_report")  # before storing any file
        values = reported_values(form)  # checked before any file is stored
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        stored = await uploads.store_attachments(ledger.settings, files)
        data = h.ReportInput(
            percent,
            text(form, "done_work"),
            text(form, "next_steps"),
            text(form, "problems"),
            text(form, "coordination_needed"),
            indicator_values=values,
            milestones_done=done_milestones(form),
        )
        await h.report_progress(ledger, me, task_id, data, stored)
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash(f"已填报进展 {percent}%", "success")
    return redirect(back_to(task_id))


@router.post("/tasks/{task_id}/acknowledge")
async def acknowledge(request: Request, me: Me, task_id: str) -> Response:
    await checked_form(request)
    return await act(
        request, back_to(task_id), h.acknowledge(get_ledger(request), me, task_id), "已签收"
    )


@router.post("/tasks/{task_id}/start")
async def start(request: Request, me: Me, task_id: str) -> Response:
    await checked_form(request)
    return await act(
        request, back_to(task_id), h.start(get_ledger(request), me, task_id), "已开始办理"
    )


@router.post("/tasks/{task_id}/dispatch")
async def dispatch(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    return await act(
        request, back_to(task_id, form), h.dispatch(get_ledger(request), me, task_id), "已交办"
    )


@router.post("/tasks/{task_id}/close")
async def close(request: Request, me: Me, task_id: str) -> Response:
    await checked_form(request)
    return await act(request, back_to(task_id), h.close(get_ledger(request), me, task_id), "已销号")


@router.post("/tasks/{task_id}/extension")
async def request_extension(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    try:
        due = a_date(form, "requested_due_on", "新的完成时限")
    except DomainError as exc:
        get_session(request).flash(str(exc), "error")
        return redirect(back_to(task_id))
    action = h.request_extension(get_ledger(request), me, task_id, due, text(form, "reason"))
    return await act(request, back_to(task_id), action, "延期申请已提交，等待审核", "request")


@router.post("/tasks/{task_id}/completion")
async def request_completion(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    notes = [line.strip()[:500] for line in text(form, "evidence").splitlines() if line.strip()]
    action = completions.request_completion(
        get_ledger(request),
        me,
        task_id,
        text(form, "summary"),
        evidence_notes=notes[:50],
        files=[f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename],
        explanation=text(form, "explanation"),
        withdraw_extension=bool(form.get("withdraw_extension")),
    )
    return await act(request, back_to(task_id), action, "办结申请已提交，等待审核", "request")


@router.post("/tasks/{task_id}/extensions/{request_id}/withdraw")
async def withdraw_extension(request: Request, me: Me, task_id: str, request_id: str) -> Response:
    await checked_form(request)
    action = h.withdraw_extension(get_ledger(request), me, task_id, request_id)
    return await act(request, back_to(task_id), action, "已撤回延期申请")


def decision_of(form: Any) -> Decision:
    try:
        return Decision(text(form, "decision", 20))
    except ValueError:
        raise DomainError("请选择审核意见") from None


@router.post("/tasks/{task_id}/completions/{request_id}/decision")
async def decide_completion(request: Request, me: Me, task_id: str, request_id: str) -> Response:
    form = await checked_form(request)
    decision = decision_of(form)
    action = h.decide_completion(
        get_ledger(request), me, task_id, request_id, decision, text(form, "comment") or None
    )
    done = "已同意办结" if decision == Decision.APPROVED else "已退回"
    return await act(request, back_to(task_id, form), action, done)


@router.post("/tasks/{task_id}/extensions/{request_id}/decision")
async def decide_extension(request: Request, me: Me, task_id: str, request_id: str) -> Response:
    form = await checked_form(request)
    decision = decision_of(form)
    action = h.decide_extension(
        get_ledger(request), me, task_id, request_id, decision, text(form, "comment") or None
    )
    done = "已同意延期" if decision == Decision.APPROVED else "已不同意延期"
    return await act(request, back_to(task_id, form), action, done)


@router.post("/tasks/{task_id}/notices")
async def issue_notice(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    try:
        level = EscalationLevel(text(form, "level", 10))
        reply_due_on = a_date(form, "reply_due_on", "回复时限")
    except (ValueError, DomainError) as exc:
        msg = str(exc) if isinstance(exc, DomainError) else "请选择督办等级"
        get_session(request).flash(msg, "error")
        return redirect(back_to(task_id))
    action = h.issue_notice(
        get_ledger(request),
        me,
        task_id,
        text(form, "department_id", 64),
        level,
        text(form, "requirements"),
        reply_due_on,
    )
    return await act(request, back_to(task_id), action, f"已下发{level.label}色督办单", "notice")


@router.post("/tasks/{task_id}/notices/{notice_id}/answer")
async def answer_notice(request: Request, me: Me, task_id: str, notice_id: str) -> Response:
    form = await checked_form(request)
    action = h.answer_notice(get_ledger(request), me, task_id, notice_id, text(form, "answer"))
    return await act(request, back_to(task_id, form), action, "已回复督办单", "notice")


@router.post("/tasks/{task_id}/remind")
async def remind(request: Request, me: Me, task_id: str) -> Response:
    form = await checked_form(request)
    action = h.send_reminder(get_ledger(request), me, task_id, text(form, "message"), None)
    return await act(request, back_to(task_id), action, "催办已发出", "reminder")


@router.post("/plans/{plan_id}/dispatch")
async def dispatch_plan(request: Request, me: Me, plan_id: str) -> Response:
    """交办 every draft task of a plan, each through the same handler as one by one."""
    await checked_form(request)
    require_decider(me, "交办任务")
    ledger = get_ledger(request)
    drafts = await q.draft_tasks(ledger, plan_id)
    session = get_session(request)
    done = 0
    for task in drafts:
        try:
            await h.dispatch(ledger, me, task.id)
            done += 1
        except DomainError as exc:
            session.flash(f"{task.title[:30]}：{exc}", "error")
    session.flash(f"已交办 {done} 项任务", "success")
    return redirect(f"/tasks?plan={plan_id}")
