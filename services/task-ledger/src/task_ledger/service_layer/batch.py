"""Work on many selected tasks at once (批量签收 / 催办 / 审核): each task goes through the same
handler as one by one, in its own transaction, so one refusal never undoes or blocks the
others; the caller gets a result per task saying what happened or why not, in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from duban_contracts.vocabulary import Decision
from task_ledger.adapters import repository as repo
from task_ledger.domain.errors import DomainError
from task_ledger.domain.model import User
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer import rate_limits
from task_ledger.service_layer.uow import Ledger

MAX_TASKS = 200  # one page of the task list at its largest


class BatchAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    REMIND = "remind"
    APPROVE = "approve"
    RETURN = "return"

    @property
    def label(self) -> str:
        return {
            "acknowledge": "签收",
            "remind": "催办",
            "approve": "同意办结",
            "return": "退回办结申请",
        }[self.value]


@dataclass(frozen=True)
class BatchResult:
    task_id: str
    ok: bool
    message: str  # what was done, or why not


async def _pending_completion(ledger: Ledger, user: User, task_id: str) -> str:
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "decide_completion")
        pending = [c for c in await repo.list_completions(conn, task_id) if c.decision is None]
    if not pending:
        raise DomainError("该任务没有待审核的办结申请")
    return pending[-1].id


async def _one(ledger: Ledger, user: User, action: BatchAction, task_id: str, text: str) -> str:
    if action == BatchAction.ACKNOWLEDGE:
        await h.acknowledge(ledger, user, task_id)
        return "已签收"
    if action == BatchAction.REMIND:
        await rate_limits.count(ledger, user, "reminder")
        await h.send_reminder(ledger, user, task_id, text, None)
        return "催办已发出"
    if action == BatchAction.RETURN and not text.strip():
        raise DomainError("退回须填写理由")
    request_id = await _pending_completion(ledger, user, task_id)
    decision = Decision.APPROVED if action == BatchAction.APPROVE else Decision.REJECTED
    await h.decide_completion(ledger, user, task_id, request_id, decision, text.strip() or None)
    return "已同意办结" if decision == Decision.APPROVED else "已退回"


async def run(
    ledger: Ledger, user: User, action: BatchAction, task_ids: Sequence[str], text: str = ""
) -> list[BatchResult]:
    """Apply `action` to each task in turn (duplicates once); `text` is the reminder's message
    or the review comment."""
    if not task_ids:
        raise DomainError("请先勾选任务")
    if len(task_ids) > MAX_TASKS:
        raise DomainError(f"一次最多处理 {MAX_TASKS} 项任务")
    results = []
    for task_id in dict.fromkeys(task_ids):
        try:
            done = await _one(ledger, user, action, task_id, text)
        except h.AccessDenied:
            results.append(BatchResult(task_id, False, "任务不存在或无权办理"))
        except DomainError as exc:
            results.append(BatchResult(task_id, False, str(exc)))
        else:
            results.append(BatchResult(task_id, True, done))
    return results
