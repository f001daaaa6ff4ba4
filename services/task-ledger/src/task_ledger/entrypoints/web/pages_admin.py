"""Plan import (upload → review → correct a department → confirm) and the monthly reports."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.entrypoints import downloads
from task_ledger.entrypoints.deps import get_ledger
from task_ledger.entrypoints.web.common import (
    PageRoute,
    checked_form,
    no_store,
    page_user,
    redirect,
    render,
    require_decider,
    require_overseer,
    text,
)
from task_ledger.entrypoints.web.session import get_session
from task_ledger.service_layer import (
    import_corrections,
    import_jobs,
    imports,
    rate_limits,
    uploads,
)
from task_ledger.service_layer import queries as q
from task_ledger.service_layer.reports import monthly_report_file

Me = Annotated[User, Depends(page_user)]
router = APIRouter(route_class=PageRoute, include_in_schema=False)


# --- plan import ----------------------------------------------------------------------------
@router.get("/imports")
async def import_form(request: Request, me: Me) -> Response:
    require_decider(me, "导入方案")
    recent, _ = await q.recent_imports(get_ledger(request), me)
    return render(request, "imports.html", recent=recent)


@router.post("/imports")
async def upload(request: Request, me: Me) -> Response:
    form = await checked_form(request)
    require_decider(me, "导入方案")
    ledger = get_ledger(request)
    upload = form.get("file")
    session = get_session(request)
    if not isinstance(upload, UploadFile) or not upload.filename:
        session.flash("请选择方案文件", "error")
        return redirect("/imports")
    try:
        await rate_limits.count(ledger, me, "plan_import")
        data = await uploads.read_plan_file(ledger.settings, upload)
        result = await imports.upload(ledger, me, upload.filename, data)
    except DomainError as exc:
        session.flash(str(exc), "error")
        return redirect("/imports")
    session.flash("文件已解析，请核对措施和责任单位后确认导入", "success")
    return redirect(f"/imports/{result['import_id']}")


@router.get("/imports/{import_id}")
async def review(request: Request, me: Me, import_id: str) -> Response:
    require_decider(me, "导入方案")
    ledger = get_ledger(request)
    raw = request.query_params.get("page", "")
    shown, pages = await imports.review_page(
        ledger, me, import_id, int(raw) if raw.isdigit() else 1
    )
    deps = await q.departments(ledger)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for d in sorted(deps, key=lambda d: (d.jurisdiction, d.name)):
        grouped[d.jurisdiction].append(d)
    # The documents' own jurisdictions first: corrections almost always stay within them.
    own = {doc.get("jurisdiction") for doc in shown["documents"]}
    ordered = sorted(grouped.items(), key=lambda kv: (kv[0] not in own, kv[0]))
    # The units each document names (a plan may hold 100,000 measures: one page is shown).
    mentioned = [(i, doc["departments"]) for i, doc in enumerate(shown["documents"])]
    raw = request.query_params.get("page", "")
    page = min(int(raw), pages) if raw.isdigit() and int(raw) > 0 else 1
    return render(
        request,
        "import_review.html",
        imp=shown,
        departments=ordered,
        mentioned=mentioned,
        page=page,
        pages=pages,
    )


@router.post("/imports/{import_id}/departments")
async def correct(request: Request, me: Me, import_id: str) -> Response:
    form = await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    try:
        n = await import_corrections.correct_department(
            get_ledger(request),
            me,
            import_id,
            text(form, "old_department_id", 64),
            text(form, "new_department_id", 64),
            text(form, "measure_id", 64) or None,
        )
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        session.flash(f"已更正 {n} 处责任单位", "success")
    return redirect(f"/imports/{import_id}")


@router.post("/imports/{import_id}/confirm")
async def confirm(request: Request, me: Me, import_id: str) -> Response:
    await checked_form(request)
    require_decider(me, "导入方案")
    session = get_session(request)
    try:
        done = await import_jobs.confirm(get_ledger(request), me, import_id)
    except DomainError as exc:
        session.flash(str(exc), "error")
    else:
        if done["status"] == "confirming":
            session.flash(
                f"方案较大（{done['total']} 项措施），已转入后台导入，本页显示进度", "success"
            )
            return redirect(f"/imports/{import_id}")
        session.flash(
            f"导入完成：方案 {done['plans']} 个，措施 {done['measures']} 项，"
            f"任务 {done['tasks']} 项，新增单位 {done['departments']} 个",
            "success",
        )
    return redirect(f"/imports/{import_id}")


# --- monthly reports (supervisors: a report covers every department of a plan) -----------
@router.get("/reports")
async def reports(request: Request, me: Me) -> Response:
    require_overseer(me, "查看月度报告")
    ledger = get_ledger(request)
    async with ledger.reading() as conn:
        plans = await q.plans(conn, authz.plan_scope(me))
    plan_id = request.query_params.get("plan") or (plans[0].id if plans else "")
    month = request.query_params.get("month") or ledger.today().strftime("%Y-%m")
    return render(request, "reports.html", plans=plans, plan_id=plan_id, month=month)


async def report_file(request: Request, me: User, fmt: str) -> Any:
    plan_id = request.query_params.get("plan") or ""
    month = request.query_params.get("month") or ""
    async with get_ledger(request).reading() as conn:
        if not plan_id or await q.plan(conn, plan_id) is None:
            raise DomainError("请选择方案")
    if not authz.can_view_plan(me, plan_id):
        raise DomainError("该方案不在您的督办范围内")
    try:
        return await monthly_report_file(
            get_ledger(request), plan_id, month, fmt, authz.plan_scope(me)
        )
    except (ValueError, LookupError) as exc:
        raise DomainError(str(exc).strip("'\"")) from None


@router.get("/reports/view")
async def report_view(request: Request, me: Me) -> Response:
    require_overseer(me, "查看月度报告")
    report = await report_file(request, me, "html")
    response = HTMLResponse(report.content.decode())
    no_store(response)
    return response


@router.get("/reports/download")
async def report_download(request: Request, me: Me) -> Response:
    require_overseer(me, "下载月度报告")
    fmt = request.query_params.get("format", "xlsx")
    if fmt not in ("xlsx", "md", "docx", "pdf"):
        raise DomainError("不支持的格式")
    report = await report_file(request, me, fmt)
    response = downloads.report(report)
    no_store(response)
    return response
