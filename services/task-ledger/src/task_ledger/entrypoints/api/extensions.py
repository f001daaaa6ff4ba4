"""Extension requests (申请延期) and their review."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.request_models import ExtensionRequestStateOut
from task_ledger.entrypoints.schemas import DecisionBody, ExtensionRequestBody
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries

router = APIRouter(prefix="/tasks/{task_id}/extension-requests", tags=["tasks"])


@router.get("", summary="延期申请记录")
async def list_extensions(
    ledger: LedgerDep, me: CurrentUser, task_id: str
) -> list[ExtensionRequestStateOut]:
    found = await queries.extension_requests(ledger, me, task_id)
    return [ExtensionRequestStateOut.model_validate(r) for r in found]


@router.post("", status_code=201, summary="申请延期", dependencies=[limited("request")])
async def request_extension(
    ledger: LedgerDep, me: CurrentUser, task_id: str, body: ExtensionRequestBody
) -> ExtensionRequestStateOut:
    result = await h.request_extension(ledger, me, task_id, body.requested_due_on, body.reason)
    return ExtensionRequestStateOut.model_validate(result)


@router.post("/{request_id}/decision", summary="审核延期")
async def decide_extension(
    ledger: LedgerDep, me: CurrentUser, task_id: str, request_id: str, body: DecisionBody
) -> ExtensionRequestStateOut:
    result = await h.decide_extension(ledger, me, task_id, request_id, body.decision, body.comment)
    return ExtensionRequestStateOut.model_validate(result)


@router.post("/{request_id}/withdraw", summary="撤回延期申请（牵头单位）")
async def withdraw_extension(
    ledger: LedgerDep, me: CurrentUser, task_id: str, request_id: str
) -> ExtensionRequestStateOut:
    result = await h.withdraw_extension(ledger, me, task_id, request_id)
    return ExtensionRequestStateOut.model_validate(result)
