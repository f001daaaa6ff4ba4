"""Progress reports (进展填报) of a task, with their attachments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import Field, TypeAdapter, ValidationError

from task_ledger.entrypoints import downloads, paging
from task_ledger.entrypoints.deps import CurrentUser, LedgerDep, SettingsDep
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
LongText = Annotated[str, Form(max_length=20_000)]


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


@router.post("/progress-reports", status_code=201, summary="填报进展（可带附件）")
async def report_progress(
    ledger: LedgerDep,
    settings: SettingsDep,
    me: CurrentUser,
    task_id: str,
    percent: Annotated[int, Form(ge=0, le=100)],
    done_work: LongText = "",
    next_steps: LongText = "",
    problems: LongText = "",
    coordination_needed: LongText = "",
    period: Annotated[str | None, Form(pattern=r"^\d{4}-\d{2}$")] = None,
    indicator_values: Annotated[
        str | None,
        Form(
            max_length=20_000,
            description='各指标当前值，JSON 对象：{"指标 id": 数值}',
        ),
    ] = None,
    milestones_done: Annotated[
        list[Annotated[str, Field(max_length=64)]] | None,
        Form(description="本次报告已完成的时间节点（key，可多个）"),
    ] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> ProgressReportOut:
    if files:  # refused and counted before any file is stored (else in the report's transaction)
        await queries.may_report(ledger, me, task_id)
        await rate_limits.count(ledger, me, "progress_report")
    stored = await uploads.store_attachments(settings, files or [])
    values = parse_indicator_values(indicator_values)
    data = h.ReportInput(
        percent,
        done_work,
        next_steps,
        problems,
        coordination_needed,
        period,
        values,
        tuple(milestones_done or ()),
    )
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
