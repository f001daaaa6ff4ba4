"""Completion requests (申请办结) and their review."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import CompletionRequestOut
from task_ledger.entrypoints.schemas import CompletionRequestBody, DecisionBody
from task_ledger.service_layer import handlers as h

router = APIRouter(prefix="/tasks/{task_id}/completion-requests", tags=["tasks"])


@router.post("", status_code=201, summary="申请办结", dependencies=[limited("request")])
async def request_completion(
    ledger: LedgerDep, me: CurrentUser, task_id: str, body: CompletionRequestBody
) -> CompletionRequestOut:
    result = await h.request_completion(ledger, me, task_id, body.summary, body.evidence)
    return CompletionRequestOut.model_validate(result)


@router.post("/{request_id}/decision", summary="审核办结")
async def decide_completion(
    ledger: LedgerDep, me: CurrentUser, task_id: str, request_id: str, body: DecisionBody
) -> CompletionRequestOut:
    result = await h.decide_completion(ledger, me, task_id, request_id, body.decision, body.comment)
    return CompletionRequestOut.model_validate(result)
