"""Supervision notices (督办单): issued by supervisors, answered by the department."""

from __future__ import annotations

from fastapi import APIRouter

from task_ledger.entrypoints.deps import CurrentUser, LedgerDep
from task_ledger.entrypoints.quotas import limited
from task_ledger.entrypoints.responses import SupervisionNoticeOut
from task_ledger.entrypoints.schemas import AnswerBody, NoticeBody
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import queries

router = APIRouter(prefix="/tasks/{task_id}/supervision-notices", tags=["tasks"])


@router.get("", summary="督办单")
async def list_notices(
    ledger: LedgerDep, me: CurrentUser, task_id: str
) -> list[SupervisionNoticeOut]:
    found = await queries.supervision_notices(ledger, me, task_id)
    return [SupervisionNoticeOut.model_validate(n) for n in found]


@router.post("", status_code=201, summary="下发督办单", dependencies=[limited("notice")])
async def issue_notice(
    ledger: LedgerDep, me: CurrentUser, task_id: str, body: NoticeBody
) -> SupervisionNoticeOut:
    notice = await h.issue_notice(
        ledger, me, task_id, body.department_id, body.level, body.requirements, body.reply_due_on
    )
    return SupervisionNoticeOut.model_validate(notice)


@router.post("/{notice_id}/answer", summary="回复督办单", dependencies=[limited("notice")])
async def answer_notice(
    ledger: LedgerDep, me: CurrentUser, task_id: str, notice_id: str, body: AnswerBody
) -> SupervisionNoticeOut:
    notice = await h.answer_notice(ledger, me, task_id, notice_id, body.answer)
    return SupervisionNoticeOut.model_validate(notice)
