"""Home pages (liaison, supervisor), task lists, the task page and its forms, the inbox."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import UploadFile

from duban_contracts.vocabulary import Decision, EscalationLevel, Light, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters.files import FileStore
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.lifecycle import WORKING
from task_ledger.domain.light import light
from task_ledger.domain.model import Task, User
from task_ledger.entrypoints import views
from task_ledger.entrypoints.routes_tasks import _store_files
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import inbound
from task_ledger.web import queries as q
from task_ledger.web.common import (
    LIGHT_ORDER,
    PageRoute,
    a_date,
    act,
    checked_form,
    integer,
    ledger_of,
    page_user,
    redirect,
    render,
    require_decider,
    safe_next,
    text,
)
from task_ledger.web.session import get_session

Me = Annotated[User, Depends(page_user)]
PAGE_SIZE = 100
COUNT_KEYS = ("total", "lead", "green", "yellow", "red", "done", "overdue")


def counts(c: Counter[str]) -> dict[str, int]:
    """Plain dict for the templates (a Counter's `.total` is a method)."""
    return {k: c[k] for k in COUNT_KEYS}


def router() -> APIRouter:
    pages = APIRouter(route_class=PageRoute, include_in_schema=False)

    def rows(request: Request, tasks: list[Task], names: dict[str, str]) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        today = ledger.today()
        out = []
        for task in tasks:
            v = views.task_view(task, today, ledger.settings.warning_days)
            v["lead_names"] = [names.get(d, d) for d in task.lead_department_ids]
            v["supporting_names"] = [names.get(d, d) for d in task.supporting_department_ids]
            v["days_late"] = (today - task.due_on).days if v["overdue"] and task.due_on else 0
            out.append(v)
        return out

    @pages.get("/")
    async def home(request: Request, me: Me) -> Response:
        if me.role in authz.OVERSEERS:
            return await supervisor_home(request, me)
        return await liaison_home(request, me)

    async def liaison_home(request: Request, me: User) -> Response:
        ledger = ledger_of(request)
        today = ledger.today()
        period = today.strftime("%Y-%m")
        dep = authz.visible_department(me)
        async with ledger.reading() as conn:
            tasks = await repo.list_tasks(conn, repo.TaskFilter(visible_to_department=dep))
            names = await q.department_names(conn)
            reported = await q.reported_task_ids(conn, me.department_id or "-", period)
            monthly = await q.monthly_request(conn, me.department_id or "-", period)
            inbox = await repo.list_inbox(conn, me.id, True)
            notices = await q.notices_for_department(conn, me.department_id or "-")
        items = rows(request, tasks, names)
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

    async def supervisor_home(request: Request, me: User) -> Response:
        ledger = ledger_of(request)
        today = ledger.today()
        plan_id = request.query_params.get("plan") or None
        scope = authz.plan_scope(me)
        async with ledger.reading() as conn:
            plans = await q.plans(conn, scope)
            tasks = await repo.list_tasks(
                conn, repo.TaskFilter(plan_id=plan_id, visible_plans=scope)
            )
            names = await q.department_names(conn)
            completions = await q.pending_completions(conn, scope)
            extensions = await q.pending_extensions(conn, scope)
            escalations = await q.escalations(conn, scope)
            missing = await q.missing_reports(conn, scope)
            notices = await q.open_notices(conn, scope)
            inbox = await repo.list_inbox(conn, me.id, True)
        items = rows(request, tasks, names)
        plan_titles = {p.id: p.title for p in plans}
        by_plan: dict[str, Counter[str]] = {}
        by_dep: dict[str, Counter[str]] = {}
        for task, v in zip(tasks, items, strict=True):
            key = v["light"] if task.status.is_open else "done"
            bucket = by_plan.setdefault(task.plan_id, Counter())
            bucket[key] += 1
            bucket["total"] += 1
            bucket["overdue"] += v["overdue"]
            for dep_id in task.department_ids:
                c = by_dep.setdefault(dep_id, Counter())
                c[key] += 1
                c["total"] += 1
                c["overdue"] += v["overdue"]
                c["lead"] += dep_id in task.lead_department_ids
        overdue = sorted((v for v in items if v["overdue"]), key=lambda v: -v["days_late"])
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
            overdue_total=len(overdue),
            completions=completions,
            extensions=extensions,
            escalations=escalations,
            missing=missing,
            notices=notices,
            inbox=inbox,
            names=names,
            drafts=drafts,
            today=today,
        )

    @pages.get("/tasks")
    async def task_list(request: Request, me: Me) -> Response:
        ledger = ledger_of(request)
        today = ledger.today()
        params = request.query_params
        try:
            status = TaskStatus(params["status"]) if params.get("status") else None
            lamp = Light(params["light"]) if params.get("light") else None
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            raise DomainError("筛选条件不正确") from None
        overseer = me.role in authz.OVERSEERS
        f = repo.TaskFilter(
            department_id=(params.get("department") or None) if overseer else None,
            visible_to_department=authz.visible_department(me),
            visible_plans=authz.plan_scope(me),
            plan_id=params.get("plan") or None,
            status=status,
            overdue_on=today if params.get("overdue") else None,
        )
        async with ledger.reading() as conn:
            tasks = await repo.list_tasks(conn, f)
            names = await q.department_names(conn)
            plans = await q.plans(conn, authz.plan_scope(me)) if overseer else []
        if lamp is not None:  # the light depends on today: the one function decides it
            tasks = [x for x in tasks if light(x, today, ledger.settings.warning_days) == lamp]
        total = len(tasks)
        shown = tasks[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return render(
            request,
            "task_list.html",
            tasks=rows(request, shown, names),
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            params=dict(params),
            plans=plans,
            departments=sorted(names.items(), key=lambda kv: kv[1]) if overseer else [],
            statuses=list(TaskStatus),
            lights=list(Light),
        )

    @pages.get("/tasks/{task_id}")
    async def task_page(request: Request, me: Me, task_id: str) -> Response:
        ledger = ledger_of(request)
        today = ledger.today()
        async with ledger.reading() as conn:
            task = await h.read_task(conn, me, task_id, "read")
            plan = await q.plan(conn, task.plan_id)
            measure = await q.measure(conn, task.measure_id)
            deps = await repo.get_departments(conn, list(task.department_ids))
            # Child tasks go to subordinate departments: show only those this user may see.
            children = [
                c for c in await repo.get_children(conn, task.id) if authz.can_view_task(me, c)
            ]
            parent = await repo.get_task(conn, task.parent_task_id) if task.parent_task_id else None
            if parent is not None and not authz.can_view_task(me, parent):
                parent = None
            reports = await repo.list_reports(conn, task.id)
            extensions = await repo.list_extensions(conn, task.id)
            completions = await repo.list_completions(conn, task.id)
            notices = await repo.list_notices(conn, task.id)
            timeline = await repo.list_timeline(conn, task.id)
            people = await q.user_names(
                conn,
                [r.actor_id for r in timeline]
                + [r.author_id for r in reports]
                + [x.requested_by for x in extensions]
                + [x.requested_by for x in completions],
            )
        names = {d: dep.name for d, dep in deps.items()}
        v = rows(request, [task], names)[0]
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
            children=rows(request, children, names),
            parent=parent,
            reports=reports,
            extensions=extensions,
            completions=completions,
            notices=notices,
            timeline=timeline,
            people=people,
            names=names,
            levels=list(EscalationLevel),
            can_report=authz.can_report(me, task) and working,
            is_lead=authz.is_lead_liaison(me, task),
            can_acknowledge=authz.is_lead_liaison(me, task)
            and task.status == TaskStatus.DISPATCHED,
            can_start=authz.is_lead_liaison(me, task) and task.status == TaskStatus.ACKNOWLEDGED,
            can_request_completion=authz.is_lead_liaison(me, task)
            and task.status in (TaskStatus.IN_PROGRESS, TaskStatus.RETURNED),
            can_request_extension=authz.is_lead_liaison(me, task)
            and task.status.is_open
            and task.status != TaskStatus.DRAFT
            and task.due_on is not None
            and today <= task.due_on
            and not any(x.decision is None for x in extensions),
            my_dep=my_dep,
            period=today.strftime("%Y-%m"),
            today=today,
            max_files=ledger.settings.max_attachments_per_report,
            max_file_mb=ledger.settings.max_attachment_bytes // 1024 // 1024,
        )

    @pages.get("/tasks/{task_id}/attachments/{attachment_id}")
    async def attachment(request: Request, me: Me, task_id: str, attachment_id: str) -> Response:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "download_attachment")
            row = await repo.get_attachment(conn, task_id, attachment_id)
        if row is None:
            raise NotFound("附件不存在")
        path = FileStore(ledger.settings.upload_dir).path_of(row.sha256)
        return FileResponse(path, media_type=row.content_type, filename=row.filename)

    # --- forms on the task page ---------------------------------------------------------------
    def back_to(task_id: str, form: Any = None) -> str:
        nxt = form.get("next") if form is not None else None
        return safe_next(nxt if isinstance(nxt, str) else None, f"/tasks/{task_id}")

    @pages.post("/tasks/{task_id}/progress")
    async def report(request: Request, me: Me, task_id: str) -> Response:
        form = await checked_form(request)
        ledger = ledger_of(request)
        session = get_session(request)
        async with ledger.reading() as conn:  # refuse before storing any file
            await h.read_task(conn, me, task_id, "report_progress")
        try:
            percent = integer(form, "percent", "进度", 0, 100)
            files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
            stored = await _store_files(ledger, files)  # type: ignore[arg-type]
            data = h.ReportInput(
                percent,
                text(form, "done_work"),
                text(form, "next_steps"),
                text(form, "problems"),
                text(form, "coordination_needed"),
            )
            await h.report_progress(ledger, me, task_id, data, stored)
        except DomainError as exc:
            session.flash(str(exc), "error")
        else:
            session.flash(f"已填报进展 {percent}%", "success")
        return redirect(back_to(task_id))

    @pages.post("/tasks/{task_id}/acknowledge")
    async def acknowledge(request: Request, me: Me, task_id: str) -> Response:
        await checked_form(request)
        return await act(
            request, back_to(task_id), h.acknowledge(ledger_of(request), me, task_id), "已签收"
        )

    @pages.post("/tasks/{task_id}/start")
    async def start(request: Request, me: Me, task_id: str) -> Response:
        await checked_form(request)
        return await act(
            request, back_to(task_id), h.start(ledger_of(request), me, task_id), "已开始办理"
        )

    @pages.post("/tasks/{task_id}/dispatch")
    async def dispatch(request: Request, me: Me, task_id: str) -> Response:
        form = await checked_form(request)
        return await act(
            request, back_to(task_id, form), h.dispatch(ledger_of(request), me, task_id), "已交办"
        )

    @pages.post("/tasks/{task_id}/close")
    async def close(request: Request, me: Me, task_id: str) -> Response:
        await checked_form(request)
        return await act(
            request, back_to(task_id), h.close(ledger_of(request), me, task_id), "已销号"
        )

    @pages.post("/tasks/{task_id}/extension")
    async def request_extension(request: Request, me: Me, task_id: str) -> Response:
        form = await checked_form(request)
        try:
            due = a_date(form, "requested_due_on", "新的完成时限")
        except DomainError as exc:
            get_session(request).flash(str(exc), "error")
            return redirect(back_to(task_id))
        action = h.request_extension(ledger_of(request), me, task_id, due, text(form, "reason"))
        return await act(request, back_to(task_id), action, "延期申请已提交，等待审核")

    @pages.post("/tasks/{task_id}/completion")
    async def request_completion(request: Request, me: Me, task_id: str) -> Response:
        form = await checked_form(request)
        evidence = [
            line.strip()[:500] for line in text(form, "evidence").splitlines() if line.strip()
        ]
        action = h.request_completion(
            ledger_of(request), me, task_id, text(form, "summary"), evidence[:50]
        )
        return await act(request, back_to(task_id), action, "办结申请已提交，等待审核")

    def decision_of(form: Any) -> Decision:
        try:
            return Decision(text(form, "decision", 20))
        except ValueError:
            raise DomainError("请选择审核意见") from None

    @pages.post("/tasks/{task_id}/completions/{request_id}/decision")
    async def decide_completion(
        request: Request, me: Me, task_id: str, request_id: str
    ) -> Response:
        form = await checked_form(request)
        decision = decision_of(form)
        action = h.decide_completion(
            ledger_of(request), me, task_id, request_id, decision, text(form, "comment") or None
        )
        done = "已同意办结" if decision == Decision.APPROVED else "已退回"
        return await act(request, back_to(task_id, form), action, done)

    @pages.post("/tasks/{task_id}/extensions/{request_id}/decision")
    async def decide_extension(request: Request, me: Me, task_id: str, request_id: str) -> Response:
        form = await checked_form(request)
        decision = decision_of(form)
        action = h.decide_extension(
            ledger_of(request), me, task_id, request_id, decision, text(form, "comment") or None
        )
        done = "已同意延期" if decision == Decision.APPROVED else "已不同意延期"
        return await act(request, back_to(task_id, form), action, done)

    @pages.post("/tasks/{task_id}/notices")
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
            ledger_of(request),
            me,
            task_id,
            text(form, "department_id", 64),
            level,
            text(form, "requirements"),
            reply_due_on,
        )
        return await act(request, back_to(task_id), action, f"已下发{level.label}色督办单")

    @pages.post("/tasks/{task_id}/notices/{notice_id}/answer")
    async def answer_notice(request: Request, me: Me, task_id: str, notice_id: str) -> Response:
        form = await checked_form(request)
        action = h.answer_notice(ledger_of(request), me, task_id, notice_id, text(form, "answer"))
        return await act(request, back_to(task_id, form), action, "已回复督办单")

    @pages.post("/tasks/{task_id}/remind")
    async def remind(request: Request, me: Me, task_id: str) -> Response:
        form = await checked_form(request)
        action = h.send_reminder(ledger_of(request), me, task_id, text(form, "message"), None)
        return await act(request, back_to(task_id), action, "催办已发出")

    @pages.post("/plans/{plan_id}/dispatch")
    async def dispatch_plan(request: Request, me: Me, plan_id: str) -> Response:
        """交办 every draft task of a plan, each through the same handler as one by one."""
        await checked_form(request)
        require_decider(me, "交办任务")
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            drafts = await repo.list_tasks(
                conn, repo.TaskFilter(plan_id=plan_id, status=TaskStatus.DRAFT)
            )
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

    # --- inbox --------------------------------------------------------------------------------
    @pages.get("/inbox")
    async def inbox(request: Request, me: Me) -> Response:
        async with ledger_of(request).reading() as conn:
            messages = await repo.list_inbox(conn, me.id, False)
        return render(request, "inbox.html", messages=messages)

    @pages.post("/inbox/{message_id}/read")
    async def mark_read(request: Request, me: Me, message_id: str) -> Response:
        form = await checked_form(request)
        await inbound.mark_read(ledger_of(request), me.id, message_id)
        nxt = form.get("next")
        return redirect(safe_next(nxt if isinstance(nxt, str) else None, "/inbox"))

    return pages
