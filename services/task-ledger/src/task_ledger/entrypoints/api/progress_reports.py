"""Progress reports (进展填报) of a task, with their attachments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from task_ledger.entrypoints import downloads, forms, paging
from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.problems import ApiError
from task_ledger.entrypoints.responses import ProgressReportOut
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries, rate_limits, uploads

_VALUES = TypeAdapter(dict[str, Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]])


def parse_indicator_values(raw: str | None) -> dict[str, float]:
    if not raw:
        return {}
    try:
        return _VALUES.validate_json(raw)
    except ValidationError:
        raise ApiError(422, '指标数值格式不正确：应为 {"指标 id": 非负数值}') from None


router = APIRouter(prefix="/tasks/{task_id}", tags=["tasks"])
LongText = Annotated[str, Field(max_length=20_000)]


class ProgressForm(BaseModel):
    """A progress report as posted: form-encoded, or multipart with its files."""

    percent: int = Field(ge=0, le=100)
    done_work: LongText = ""
    next_steps: LongText = ""
    problems: LongText = ""
    coordination_needed: LongText = ""
    period: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")
    indicator_values: str | None = Field(
        None, max_length=20_000, description='各指标当前值，JSON 对象：{"指标 id": 数值}'
    )
    milestones_done: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, description="本次报告已完成的时间节点（key，可多个）"
    )
    files: list[UploadFile] | None = Field(None, description="附件（可多个）")

    def report_input(self) -> h.ReportInput:
        return h.ReportInput(
            self.percent,
            self.done_work,
            self.next_steps,
            self.problems,
            self.coordination_needed,
            self.period,
            parse_indicator_values(self.indicator_values),
            tuple(self.milestones_done or ()),
        )


@router.get("/progress-reports", summary="进展填报记录（分页，最新在前）")
async def list_reports(
    request: Request,
    response: Response,
    ledger: LedgerDep,
    me: CurrentUser,
    task_id: str,
    page: paging.Page = 1,
    page_size: paging.PageSize = 50,
) -> list[ProgressReportOut]:
    reports, total = await queries.progress_reports(ledger, me, task_id, page, page_size)
    paging.announce(request, response, page, page_size, total)
    return [ProgressReportOut.model_validate(r) for r in reports]


@router.post(
    "/progress-reports",
    status_code=201,
    summary="填报进展（可带附件）",
    openapi_extra=forms.openapi_body(ProgressForm),
)
async def report_progress(
    request: Request, ledger: LedgerDep, me: CurrentUser, task_id: str
) -> ProgressReportOut:
    async with forms.posted(request, ProgressForm) as form:
        files = form.files or []
        if files:  # refused and counted before any file is stored (else in the report's tx)
            await queries.may_report(ledger, me, task_id)
            await rate_limits.count(ledger, me, "progress_report")
        stored = await uploads.store_attachments(ledger.settings, files)
        data = form.report_input()
    report = await h.report_progress(ledger, me, task_id, data, stored, count_write=not files)
    return ProgressReportOut.model_validate(report)


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    responses=downloads.ANY_FILE,
    summary="下载附件",
)
async def download(
    ledger: LedgerDep, me: CurrentUser, task_id: str, attachment_id: str
) -> FileResponse:
    return await downloads.attachment(ledger, me, task_id, attachment_id)
