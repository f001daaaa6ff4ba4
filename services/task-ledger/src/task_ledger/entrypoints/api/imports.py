"""Plan import (supervisors): upload a plan document, review its preview, confirm it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile

from task_ledger.entrypoints import paging
from task_ledger.entrypoints.deps import ImporterUser, LedgerDep, SettingsDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import (
    ImportConfirmed,
    ImportJob,
    ImportOut,
    ImportPage,
    ImportPreview,
    ImportSummary,
    PreviewMeasure,
)
from task_ledger.service_layer import import_jobs, imports, queries, uploads

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post(
    "", status_code=201, summary="上传方案，返回预览", dependencies=[limited("plan_import")]
)
async def upload(
    ledger: LedgerDep,
    settings: SettingsDep,
    me: ImporterUser,
    file: Annotated[UploadFile, File()],
) -> ImportPreview:
    data = await uploads.read_plan_file(settings, file)
    return ImportPreview.model_validate(
        await imports.upload(ledger, me, file.filename or "plan.txt", data)
    )


@router.get("", summary="导入记录（本人可处理的，最新在前）")
async def listing(
    ledger: LedgerDep,
    me: ImporterUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ImportPage:
    rows, total = await queries.recent_imports(ledger, me, page, page_size)
    return ImportPage(
        items=[ImportSummary.model_validate(r) for r in rows],
        total=total,
        page=page,
        page_size=page_size,
    )


@router.get("/{import_id}", summary="导入预览")
async def preview(ledger: LedgerDep, me: ImporterUser, import_id: str) -> ImportOut:
    return ImportOut.model_validate(await imports.get_import(ledger, me, import_id))


@router.get("/{import_id}/documents/{document}/measures", summary="导入预览中的措施（分页）")
async def measures(
    request: Request,
    response: Response,
    ledger: LedgerDep,
    me: ImporterUser,
    import_id: str,
    document: Annotated[int, Path(ge=0, le=10_000, description="文件序号（从 0 开始）")],
    page: paging.Page = 1,
    page_size: paging.PageSize = 50,
) -> list[PreviewMeasure]:
    found, total = await imports.import_measures(ledger, me, import_id, document, page, page_size)
    paging.announce(request, response, page, page_size, total)
    return [PreviewMeasure.model_validate(m) for m in found]


@router.post(
    "/{import_id}/confirm",
    summary="确认导入",
    description=(
        "措施不多的方案当即立项（200，ImportConfirmed）；大型方案转入后台分批立项，"
        "答复 202 与进度（ImportJob），进度与结果见 GET /api/imports/{import_id}。"
    ),
)
async def confirm(
    ledger: LedgerDep, me: ImporterUser, import_id: str, response: Response
) -> ImportConfirmed | ImportJob:
    done = await import_jobs.confirm(ledger, me, import_id)
    if done["status"] == "confirming":
        # One documented success schema per route (the OpenAPI test); the 202 says "accepted,
        # not done yet" to clients that look at the status.
        response.status_code = 202
        return ImportJob.model_validate(done)
    return ImportConfirmed.model_validate(done)
