"""Task routes. Each one goes through `load_task`/`read_task` (object-level authorization)."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters.files import CHUNK, FileStore
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.light import light
from task_ledger.domain.model import Attachment, User
from task_ledger.entrypoints import views
from task_ledger.entrypoints.schemas import (
    AnswerBody,
    CompletionRequestBody,
    DecisionBody,
    DecomposeBody,
    ExtensionRequestBody,
    NoticeBody,
    Page,
    ReminderBody,
)
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer.uow import Ledger


def router(current_user: Callable[..., Any]) -> APIRouter:
    api = APIRouter(prefix="/api/tasks", tags=["tasks"])
    Me = Annotated[User, Depends(current_user)]

    def ledger_of(request: Request) -> Ledger:
        return request.app.state.ledger  # type: ignore[no-any-return]

    def view(ledger: Ledger, task: Any) -> dict[str, Any]:
        return views.task_view(task, ledger.today(), ledger.settings.warning_days)

    @api.get("", response_model=Page, summary="任务列表")
    async def list_tasks(
        request: Request,
        me: Me,
        department_id: str | None = None,
        plan_id: str | None = None,
        status: TaskStatus | None = None,
        light_: Annotated[Light | None, Query(alias="light")] = None,
        overdue: bool = False,
        due_before: date | None = None,
        parent_task_id: str | None = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        today = ledger.today()
        f = repo.TaskFilter(
            department_id=department_id,
            visible_to_department=authz.visible_department(me),
            visible_plans=authz.plan_scope(me),
            plan_id=plan_id,
            status=status,
            overdue_on=today if overdue else None,
            due_before=due_before,
            parent_task_id=parent_task_id,
        )
        offset = (page - 1) * page_size
        async with ledger.reading() as conn:
            if light_ is None:
                total = await repo.count_tasks(conn, f)
                tasks = await repo.list_tasks(conn, f, offset, page_size)
            else:  # the light depends on today: one function decides it, not SQL
                every = [
                    x
                    for x in await repo.list_tasks(conn, f)
                    if light(x, today, ledger.settings.warning_days) == light_
                ]
                total, tasks = len(every), every[offset : offset + page_size]
        return {
            "items": [view(ledger, x) for x in tasks],
            "total": total,
            "page": page,
            "page_size": page_size,
        }

    @api.get("/{task_id}", summary="任务详情")
    async def task_detail(request: Request, me: Me, task_id: str) -> dict[str, Any]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            task = await h.read_task(conn, me, task_id, "read")
            deps = await repo.get_departments(conn, list(task.department_ids))
            children = await repo.get_children(conn, task.id)
            data = view(ledger, task)
            data["departments"] = [views.department_view(d) for d in deps.values()]
            data["children"] = [view(ledger, c) for c in children]
            data["progress_reports"] = [
                views.report_view(r) for r in await repo.list_reports(conn, task.id)
            ]
            data["extension_requests"] = [
                views.request_view(r) for r in await repo.list_extensions(conn, task.id)
            ]
            data["completion_requests"] = [
                views.request_view(r) for r in await repo.list_completions(conn, task.id)
            ]
            data["supervision_notices"] = [
                views.request_view(r) for r in await repo.list_notices(conn, task.id)
            ]
        return data

    @api.get("/{task_id}/timeline", summary="任务时间线")
    async def timeline(request: Request, me: Me, task_id: str) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "timeline")
            return [views.timeline_view(r) for r in await repo.list_timeline(conn, task_id)]

    @api.post("/{task_id}/dispatch", summary="交办")
    async def dispatch(request: Request, me: Me, task_id: str) -> dict[str, Any]:
        ledger = ledger_of(request)
        return view(ledger, await h.dispatch(ledger, me, task_id))

    @api.post("/{task_id}/acknowledge", summary="签收")
    async def acknowledge(request: Request, me: Me, task_id: str) -> dict[str, Any]:
        ledger = ledger_of(request)
        return view(ledger, await h.acknowledge(ledger, me, task_id))

    @api.post("/{task_id}/start", summary="开始办理")
    async def start(request: Request, me: Me, task_id: str) -> dict[str, Any]:
        ledger = ledger_of(request)
        return view(ledger, await h.start(ledger, me, task_id))

    @api.post("/{task_id}/close", summary="销号")
    async def close(request: Request, me: Me, task_id: str) -> dict[str, Any]:
        ledger = ledger_of(request)
        return view(ledger, await h.close(ledger, me, task_id))

    @api.post("/{task_id}/decompose", status_code=201, summary="分解为下级任务")
    async def decompose(
        request: Request, me: Me, task_id: str, body: DecomposeBody
    ) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        specs = [
            h.ChildSpec(
                c.title, tuple(c.lead_department_ids), tuple(c.supporting_department_ids), c.due_on
            )
            for c in body.children
        ]
        return [view(ledger, x) for x in await h.decompose(ledger, me, task_id, specs)]

    @api.get("/{task_id}/progress-reports", summary="进展填报记录")
    async def list_reports(request: Request, me: Me, task_id: str) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "list_reports")
            return [views.report_view(r) for r in await repo.list_reports(conn, task_id)]

    @api.post("/{task_id}/progress-reports", status_code=201, summary="填报进展（可带附件）")
    async def report_progress(
        request: Request,
        me: Me,
        task_id: str,
        percent: Annotated[int, Form(ge=0, le=100)],
        done_work: Annotated[str, Form(max_length=20_000)] = "",
        next_steps: Annotated[str, Form(max_length=20_000)] = "",
        problems: Annotated[str, Form(max_length=20_000)] = "",
        coordination_needed: Annotated[str, Form(max_length=20_000)] = "",
        period: Annotated[str | None, Form(pattern=r"^\d{4}-\d{2}$")] = None,
        files: Annotated[list[UploadFile] | None, File()] = None,
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        if files:  # refuse before storing any file
            async with ledger.reading() as conn:
                await h.read_task(conn, me, task_id, "report_progress")
        stored = await _store_files(ledger, files or [])
        data = h.ReportInput(percent, done_work, next_steps, problems, coordination_needed, period)
        return views.report_view(await h.report_progress(ledger, me, task_id, data, stored))

    @api.get("/{task_id}/attachments/{attachment_id}", summary="下载附件")
    async def download(request: Request, me: Me, task_id: str, attachment_id: str) -> Any:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "download_attachment")
            row = await repo.get_attachment(conn, task_id, attachment_id)
        if row is None:
            raise NotFound("附件不存在")
        path = FileStore(ledger.settings.upload_dir).path_of(row.sha256)
        return FileResponse(path, media_type=row.content_type, filename=row.filename)

    @api.post("/{task_id}/completion-requests", status_code=201, summary="申请办结")
    async def request_completion(
        request: Request, me: Me, task_id: str, body: CompletionRequestBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        result = await h.request_completion(ledger, me, task_id, body.summary, body.evidence)
        return views.request_view(result)

    @api.post("/{task_id}/completion-requests/{request_id}/decision", summary="审核办结")
    async def decide_completion(
        request: Request, me: Me, task_id: str, request_id: str, body: DecisionBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        result = await h.decide_completion(
            ledger, me, task_id, request_id, body.decision, body.comment
        )
        return views.request_view(result)

    @api.get("/{task_id}/extension-requests", summary="延期申请记录")
    async def list_extensions(request: Request, me: Me, task_id: str) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "list_extensions")
            return [views.request_view(r) for r in await repo.list_extensions(conn, task_id)]

    @api.post("/{task_id}/extension-requests", status_code=201, summary="申请延期")
    async def request_extension(
        request: Request, me: Me, task_id: str, body: ExtensionRequestBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        result = await h.request_extension(ledger, me, task_id, body.requested_due_on, body.reason)
        return views.request_view(result)

    @api.post("/{task_id}/extension-requests/{request_id}/decision", summary="审核延期")
    async def decide_extension(
        request: Request, me: Me, task_id: str, request_id: str, body: DecisionBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        result = await h.decide_extension(
            ledger, me, task_id, request_id, body.decision, body.comment
        )
        return views.request_view(result)

    @api.get("/{task_id}/supervision-notices", summary="督办单")
    async def list_notices(request: Request, me: Me, task_id: str) -> list[dict[str, Any]]:
        ledger = ledger_of(request)
        async with ledger.reading() as conn:
            await h.read_task(conn, me, task_id, "list_notices")
            return [views.request_view(r) for r in await repo.list_notices(conn, task_id)]

    @api.post("/{task_id}/supervision-notices", status_code=201, summary="下发督办单")
    async def issue_notice(
        request: Request, me: Me, task_id: str, body: NoticeBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        notice = await h.issue_notice(
            ledger,
            me,
            task_id,
            body.department_id,
            body.level,
            body.requirements,
            body.reply_due_on,
        )
        return views.request_view(notice)

    @api.post("/{task_id}/supervision-notices/{notice_id}/answer", summary="回复督办单")
    async def answer_notice(
        request: Request, me: Me, task_id: str, notice_id: str, body: AnswerBody
    ) -> dict[str, Any]:
        ledger = ledger_of(request)
        return views.request_view(
            await h.answer_notice(ledger, me, task_id, notice_id, body.answer)
        )

    @api.post("/{task_id}/reminders", status_code=202, summary="催办")
    async def remind(request: Request, me: Me, task_id: str, body: ReminderBody) -> dict:
        ledger = ledger_of(request)
        command_id = await h.send_reminder(ledger, me, task_id, body.message, body.level)
        return {"command_id": command_id, "status": "queued"}

    return api


async def _store_files(ledger: Ledger, files: list[UploadFile]) -> list[Attachment]:
    s = ledger.settings
    if len(files) > s.max_attachments_per_report:
        raise DomainError(f"附件最多 {s.max_attachments_per_report} 个")
    store = FileStore(s.upload_dir)
    stored = []
    for upload in files:
        name = (upload.filename or "附件")[-255:]
        content_type = store.check_type(name, upload.content_type or "", s.attachment_types)
        chunks, size = [], 0
        while chunk := await upload.read(CHUNK):
            size += len(chunk)
            if size > s.max_attachment_bytes:
                raise DomainError(f"附件“{name}”超过 {s.max_attachment_bytes // 1024 // 1024} MB")
            chunks.append(chunk)
        if size == 0:
            raise DomainError(f"附件“{name}”是空文件")
        sha256, size = store.save(chunks)
        stored.append(Attachment(h.new_id("att"), name, content_type, size, sha256))
    return stored
