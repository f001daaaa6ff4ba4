"""Plan import (supervisors): upload a plan document, review its preview, confirm it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from task_ledger.entrypoints.deps import ImporterUser, LedgerDep, SettingsDep
from task_ledger.entrypoints.responses import ImportConfirmed, ImportOut, ImportPreview
from task_ledger.service_layer import imports, uploads

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post("", status_code=201, summary="上传方案，返回预览")
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


@router.get("/{import_id}", summary="导入预览")
async def preview(ledger: LedgerDep, me: ImporterUser, import_id: str) -> ImportOut:
    return ImportOut.model_validate(await imports.get_import(ledger, import_id))


@router.post("/{import_id}/confirm", summary="确认导入")
async def confirm(ledger: LedgerDep, me: ImporterUser, import_id: str) -> ImportConfirmed:
    return ImportConfirmed.model_validate(await imports.confirm(ledger, me, import_id))
