"""Extensions (延期): the lead department requests a later due date, a supervisor decides."""

from __future__ import annotations

from datetime import date

from duban_contracts import events as ev
from duban_contracts.vocabulary import Decision
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import ExtensionRequest, User
from task_ledger.service_layer.handlers.frame import TaskCommand, decider, new_id, run_command
from task_ledger.service_layer.uow import Ledger


async def request_extension(
    ledger: Ledger, user: User, task_id: str, requested_due_on: date, reason: str
) -> ExtensionRequest:
    async with run_command(
        ledger,
        user,
        task_id,
        action="request_extension",
        allowed=authz.is_lead_liaison,
        refusal="只有牵头单位可以申请延期",
    ) as c:
        task = c.task
        pending = any(r.pending for r in await repo.list_extensions(c.tx.conn, task.id))
        lifecycle.check_extension_request(task, requested_due_on, reason, c.tx.today, pending)
        request = ExtensionRequest(
            new_id("ext"), task.id, user.id, requested_due_on, task.due_on, reason
        )
        await repo.insert_extension(c.tx.conn, request, c.tx.now)
        c.emit(
            ev.ExtensionRequested(
                task_id=task.id,
                actor_id=user.id,
                request_id=request.id,
                requested_due_on=requested_due_on,
                reason=reason,
                department_ids=task.lead_department_ids,
            )
        )
        c.timeline(
            "extension_requested",
            f"申请延期至 {requested_due_on}",
            request_id=request.id,
            reason=reason,
        )
        c.audit(
            "extension.request",
            "extension_request",
            request.id,
            {"task_id": task.id, "requested_due_on": requested_due_on, "reason": reason},
        )
    return request


async def decide_extension(
    ledger: Ledger,
    user: User,
    task_id: str,
    request_id: str,
    decision: Decision,
    comment: str | None,
) -> ExtensionRequest:
    async with run_command(
        ledger,
        user,
        task_id,
        action="decide_extension",
        allowed=decider,
        refusal="只有督查人员可以审核延期申请",
        stored_as="task.decide_extension",
    ) as c:
        task = c.task
        extensions = await repo.list_extensions(c.tx.conn, task.id)
        request = next((r for r in extensions if r.id == request_id), None)
        if request is None:
            raise NotFound("延期申请不存在")
        previous_due = lifecycle.decide_extension(task, request, decision, comment)
        await repo.store_extension_decision(
            c.tx.conn, request_id, decision, user.id, comment, c.tx.now
        )
        approved = decision == Decision.APPROVED
        c.emit(
            ev.ExtensionDecided(
                task_id=task.id,
                actor_id=user.id,
                request_id=request_id,
                decision=decision,
                due_on=task.due_on if approved else None,
                comment=comment,
                department_ids=task.lead_department_ids,
            )
        )
        c.timeline(
            "extension_decided",
            f"延期审核：{decision.label}",
            request_id=request_id,
            comment=comment,
        )
        if approved:
            _due_date_changed(c, previous_due)
    return request


def _due_date_changed(c: TaskCommand, previous_due: date | None) -> None:
    task = c.task
    assert task.due_on is not None
    c.emit(
        ev.DueDateChanged(
            task_id=task.id,
            actor_id=c.user.id,
            original_due_on=task.original_due_on,
            previous_due_on=previous_due,
            due_on=task.due_on,
            reason="延期申请获批",
        )
    )
    c.timeline(
        "due_date",
        f"完成时限由 {previous_due} 调整为 {task.due_on}",
        original_due_on=task.original_due_on,
    )


async def withdraw_extension(
    ledger: Ledger, user: User, task_id: str, request_id: str
) -> ExtensionRequest:
    """The lead department takes its pending extension request back."""
    async with run_command(
        ledger,
        user,
        task_id,
        action="withdraw_extension",
        allowed=authz.is_lead_liaison,
        refusal="只有牵头单位可以撤回延期申请",
    ) as c:
        extensions = await repo.list_extensions(c.tx.conn, c.task.id)
        request = next((r for r in extensions if r.id == request_id), None)
        if request is None:
            raise NotFound("延期申请不存在")
        if not request.pending:
            raise DomainError("该延期申请已审核或已撤回，不能撤回")
        await withdraw(c, request)
    return request


async def withdraw(c: TaskCommand, request: ExtensionRequest) -> None:
    """The requester takes a pending extension request back inside command `c` (申请办结 with
    a pending extension offers this: the work is done, the extra time is not needed)."""
    await repo.withdraw_extension(c.tx.conn, request.id, c.tx.now)
    request.withdrawn = True
    c.timeline(
        "extension_withdrawn",
        f"撤回延期申请（申请延期至 {request.requested_due_on}）",
        request_id=request.id,
    )
    c.audit("extension.withdraw", "extension_request", request.id, {"task_id": c.task.id})
