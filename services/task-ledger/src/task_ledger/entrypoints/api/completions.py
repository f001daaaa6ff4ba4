"""Completion requests (申请办结, with evidence files) and their review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import Field

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.request_models import CompletionRequestWithFilesOut
from task_ledger.entrypoints.schemas import DecisionBody
from task_ledger.service_layer import completions
from task_ledger.service_layer import handlers as h

router = APIRouter(prefix="/tasks/{task_id}/completion-requests", tags=["tasks"])
LongText = Annotated[str, Form(max_length=20_000)]


@router.get("", summary="办结申请记录（含佐证材料）")
async def list_completions(
    ledger: LedgerDep, me: CurrentUser, task_id: str
) -> list[CompletionRequestWithFilesOut]:
    found = await completions.completion_requests(ledger, me, task_id)
    return [CompletionRequestWithFilesOut.model_validate(r) for r in found]


@router.post(
    "",
    status_code=201,
    summary="申请办结（须上传佐证材料；进度未达 100% 须填写说明）",
    description=(
        "multipart/form-data。有待审核的延期申请时返回 409，"
        "除非同时提交 withdraw_extension=true 一并撤回该延期申请。"
    ),
    dependencies=[limited("request")],
)
async def request_completion(
    ledger: LedgerDep,
    me: CurrentUser,
    task_id: str,
    summary: Annotated[str, Form(min_length=1, max_length=20_000, description="办理情况")],
    explanation: Annotated[
        str, Form(max_length=20_000, description="说明：进度未达 100% 时必填")
    ] = "",
    evidence: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=500)]] | None,
        Form(max_length=50, description="佐证材料说明（可多项）"),
    ] = None,
    withdraw_extension: Annotated[bool, Form(description="一并撤回待审核的延期申请")] = False,
    files: Annotated[list[UploadFile] | None, File(description="佐证材料文件")] = None,
) -> CompletionRequestWithFilesOut:
    result = await completions.request_completion(
        ledger,
        me,
        task_id,
        summary,
        evidence_notes=evidence or (),
        files=files or (),
        explanation=explanation,
        withdraw_extension=withdraw_extension,
    )
    return CompletionRequestWithFilesOut.model_validate(result)


@router.post("/{request_id}/decision", summary="审核办结")
async def decide_completion(
    ledger: LedgerDep, me: CurrentUser, task_id: str, request_id: str, body: DecisionBody
) -> CompletionRequestWithFilesOut:
    result = await h.decide_completion(ledger, me, task_id, request_id, body.decision, body.comment)
    return CompletionRequestWithFilesOut.model_validate(result)
