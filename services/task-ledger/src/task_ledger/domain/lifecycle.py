"""The 督办 lifecycle and the rules around it. Every refusal says why, in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from duban_contracts.vocabulary import Decision, EscalationLevel, TaskStatus
from task_ledger.domain.errors import DomainError, InvalidTransition, PendingRequest
from task_ledger.domain.jurisdiction import splitting_rank
from task_ledger.domain.model import (
    LEVEL_RANK,
    CompletionRequest,
    Department,
    ExtensionRequest,
    SupervisionNotice,
    Task,
)

S = TaskStatus
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.DRAFT: frozenset({S.DISPATCHED}),
    S.DISPATCHED: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.COMPLETION_REQUESTED}),
    S.COMPLETION_REQUESTED: frozenset({S.COMPLETED, S.RETURNED}),
    S.RETURNED: frozenset({S.IN_PROGRESS, S.COMPLETION_REQUESTED}),
    S.COMPLETED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}
# States in which the departments work on the task and may report progress.
WORKING = frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS, S.RETURNED})


def transition(task: Task, to: TaskStatus) -> TaskStatus:
    """Move `task` to `to`; returns the previous status or raises InvalidTransition."""
    current = task.status
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"任务当前状态为“{current.label}”，不能变更为“{to.label}”")
    task.status = to
    task.version += 1
    return current


def dispatch(task: Task, today: date) -> TaskStatus:
    previous = transition(task, S.DISPATCHED)
    task.start_on = today
    return previous


def record_progress(task: Task, percent: int, *, from_lead: bool) -> TaskStatus | None:
    """Apply a progress report. Returns the previous status when the report started the work."""
    if not 0 <= percent <= 100:
        raise DomainError("进度须在 0 到 100 之间")
    if task.status not in WORKING:
        raise DomainError(f"任务当前状态为“{task.status.label}”，不能填报进展")
    previous = None
    if task.status == S.ACKNOWLEDGED:
        previous = transition(task, S.IN_PROGRESS)
    if from_lead:
        task.progress = percent
        task.version += 1
    return previous


# Stored in the extension request's decision column when the requester takes it back.
WITHDRAWN = "withdrawn"


def request_completion(
    task: Task,
    children: Sequence[Task],
    summary: str,
    *,
    explanation: str = "",
    evidence_files: int = 0,
    extension_pending: bool = False,
) -> TaskStatus:
    """Completion asks for the work to be judged done: it needs the 办理情况, 100% progress or
    a 说明 of what is left and why, at least one evidence file, and no open extension request
    (asking for more time and declaring the work done contradict each other)."""
    if extension_pending:
        raise PendingRequest(
            "该任务有待审核的延期申请，不能申请办结；请先撤回延期申请（可在申请办结时一并撤回）"
        )
    if not summary.strip():
        raise DomainError("申请办结须说明办理情况")
    open_children = [c for c in children if c.status not in (S.COMPLETED, S.CLOSED)]
    if open_children:
        raise DomainError(f"还有 {len(open_children)} 项下级任务尚未办结，不能申请办结")
    if task.progress < 100 and not explanation.strip():
        raise DomainError(
            f"当前进度为 {task.progress}%，未达到 100% 的须填写说明（未完成部分及原因）"
        )
    if evidence_files < 1:
        raise DomainError("申请办结须上传至少一份佐证材料")
    return transition(task, S.COMPLETION_REQUESTED)


def decide_completion(
    task: Task, request: CompletionRequest, decision: Decision, comment: str | None
) -> TaskStatus:
    if request.decision is not None:
        raise DomainError("该办结申请已经审核过")
    if decision == Decision.REJECTED and not (comment or "").strip():
        raise DomainError("退回须说明理由")
    previous = transition(task, S.COMPLETED if decision == Decision.APPROVED else S.RETURNED)
    request.decision = decision
    request.comment = comment
    if decision == Decision.APPROVED:
        task.progress = 100
    return previous


def check_extension_request(
    task: Task, requested_due_on: date, reason: str, today: date, pending: bool
) -> None:
    if not task.status.is_open or task.status == S.DRAFT:
        raise DomainError(f"任务当前状态为“{task.status.label}”，不能申请延期")
    if task.due_on is None:
        raise DomainError("任务没有完成时限，无需申请延期")
    if today > task.due_on:
        raise DomainError("延期申请须在完成时限之前提出，本任务已逾期")
    if requested_due_on <= task.due_on:
        raise DomainError("申请的新时限须晚于当前完成时限")
    if pending:
        raise DomainError("已有待审核的延期申请")
    if not reason.strip():
        raise DomainError("请说明延期理由")


def decide_extension(
    task: Task, request: ExtensionRequest, decision: Decision, comment: str | None
) -> date | None:
    """Decide; on approval the new date applies and the original stays. Returns the old date."""
    if request.withdrawn:
        raise DomainError("该延期申请已撤回")
    if request.decision is not None:
        raise DomainError("该延期申请已经审核过")
    if decision == Decision.REJECTED and not (comment or "").strip():
        raise DomainError("不同意延期须说明理由")
    request.decision = decision
    request.comment = comment
    if decision != Decision.APPROVED:
        return None
    previous = task.due_on
    if task.original_due_on is None:
        task.original_due_on = previous
    task.due_on = request.requested_due_on
    task.version += 1
    return previous


def check_notice(task: Task, department_id: str, reply_due_on: date, today: date) -> None:
    if not task.status.is_open:
        raise DomainError(f"任务当前状态为“{task.status.label}”，不能下发督办单")
    if task.role_of(department_id) is None:
        raise DomainError("督办单只能发给该任务的牵头或配合单位")
    if reply_due_on < today:
        raise DomainError("回复时限不能早于今天")


def answer_notice(notice: SupervisionNotice, answer: str) -> None:
    if notice.answer is not None:
        raise DomainError("该督办单已经回复")
    if not answer.strip():
        raise DomainError("回复内容不能为空")
    notice.answer = answer


def raise_escalation(task: Task, level: EscalationLevel) -> bool:
    """Record the highest escalation reached; returns True when it rose."""
    order = [EscalationLevel.BLUE, EscalationLevel.ORANGE, EscalationLevel.RED]
    if task.escalation_level is None or order.index(level) > order.index(task.escalation_level):
        task.escalation_level = level
        return True
    return False


def check_decomposition(
    parent: Task,
    parent_lead_departments: Sequence[Department],
    children: Sequence[tuple[Sequence[Department], date | None]],
) -> None:
    """Children go to subordinate jurisdictions and are due no later than the parent."""
    if parent.status not in (S.DISPATCHED, *WORKING):
        raise DomainError(f"任务当前状态为“{parent.status.label}”，不能分解")
    if not children:
        raise DomainError("请至少分解出一项下级任务")
    parent_rank = max(splitting_rank(d) for d in parent_lead_departments)
    for leads, due_on in children:
        if not leads:
            raise DomainError("每项下级任务须有牵头单位")
        for dep in leads:
            if LEVEL_RANK[dep.level] >= parent_rank or dep.collective:
                raise DomainError(f"“{dep.name}”不是下级行政区域的单位，不能作为下级任务牵头单位")
        if parent.due_on is not None and (due_on is None or due_on > parent.due_on):
            raise DomainError("下级任务的完成时限不能晚于上级任务")


def roll_up(parent: Task, children: Sequence[Task]) -> TaskStatus | None:
    """Progress of a decomposed task is the mean of its children's; work on a child starts the
    parent. Returns the parent's previous status when it changed."""
    if not children:
        return None
    mean = round(
        sum(100 if c.status in (S.COMPLETED, S.CLOSED) else c.progress for c in children)
        / len(children)
    )
    if mean != parent.progress:
        parent.progress = mean
        parent.version += 1
    started = any(c.status not in (S.DRAFT, S.DISPATCHED, S.ACKNOWLEDGED) for c in children)
    if started and parent.status == S.ACKNOWLEDGED:
        return transition(parent, S.IN_PROGRESS)
    return None
