"""Supervision: notices (督办单) a department must answer, and reminders (催办)."""

from __future__ import annotations

from datetime import date

from duban_contracts import commands as cmd
from duban_contracts import events as ev
from duban_contracts.vocabulary import EscalationLevel
from task_ledger.adapters import repository as repo
from task_ledger.domain import lifecycle
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import SupervisionNotice, User
from task_ledger.service_layer.handlers.frame import decider, new_id, require, run_command
from task_ledger.service_layer.uow import Ledger


async def issue_notice(
    ledger: Ledger,
    user: User,
    task_id: str,
    department_id: str,
    level: EscalationLevel,
    requirements: str,
    reply_due_on: date,
) -> SupervisionNotice:
    async with run_command(
        ledger,
        user,
        task_id,
        action="issue_notice",
        allowed=decider,
        refusal="只有督查人员可以下发督办单",
        stored_as="task.escalation",
    ) as c:
        if not requirements.strip():
            raise DomainError("督办要求不能为空")
        lifecycle.check_notice(c.task, department_id, reply_due_on, c.tx.today)
        notice = SupervisionNotice(
            new_id("ntc"), c.task.id, department_id, level, requirements, reply_due_on, user.id
        )
        await repo.insert_notice(c.tx.conn, notice, c.tx.now)
        lifecycle.raise_escalation(c.task, level)
        c.emit(
            ev.SupervisionNoticeIssued(
                task_id=c.task.id,
                actor_id=user.id,
                notice_id=notice.id,
                department_id=department_id,
                level=level,
                requirements=requirements,
                reply_due_on=reply_due_on,
            )
        )
        c.timeline(
            "notice_issued",
            f"下发{level.label}色督办单，{reply_due_on} 前回复",
            notice_id=notice.id,
            department_id=department_id,
        )
        c.audit(
            "notice.issue",
            "supervision_notice",
            notice.id,
            {"task_id": c.task.id, "department_id": department_id, "level": level.value},
        )
    return notice


async def answer_notice(
    ledger: Ledger, user: User, task_id: str, notice_id: str, answer: str
) -> SupervisionNotice:
    # Who may answer depends on the notice: checked once it is found.
    async with run_command(ledger, user, task_id, action="answer_notice") as c:
        notices = await repo.list_notices(c.tx.conn, c.task.id)
        notice = next((n for n in notices if n.id == notice_id), None)
        if notice is None:
            raise NotFound("督办单不存在")
        require(user.department_id == notice.department_id, "只有被督办单位可以回复督办单")
        lifecycle.answer_notice(notice, answer)
        await repo.store_notice_answer(c.tx.conn, notice_id, answer, user.id, c.tx.now)
        c.emit(
            ev.SupervisionNoticeAnswered(
                task_id=c.task.id,
                actor_id=user.id,
                notice_id=notice_id,
                department_id=notice.department_id,
                answer=answer,
            )
        )
        c.timeline("notice_answered", "回复督办单", notice_id=notice_id)
        c.audit("notice.answer", "supervision_notice", notice_id, {"answer": answer})
        notice.answered_by = user.id
    return notice


async def send_reminder(
    ledger: Ledger, user: User, task_id: str, message: str, level: EscalationLevel | None
) -> str:
    """催办: the notifier delivers it; the command travels through the outbox."""
    async with run_command(
        ledger,
        user,
        task_id,
        action="send_reminder",
        allowed=decider,
        refusal="只有督查人员可以催办",
        for_update=False,
    ) as c:
        if not message.strip():
            raise DomainError("催办内容不能为空")
        envelope = c.emit(
            cmd.SendManualReminder(
                task_id=c.task.id,
                task_title=c.task.title[:500],
                department_ids=c.task.department_ids,
                message=message,
                level=level,
                requested_by=user.id,
            )
        )
        c.timeline(
            "manual_reminder",
            "督查人员催办",
            message=message,
            command_id=str(envelope.event_id),
        )
        c.audit("task.remind", "task", c.task.id, {"message": message})
    return str(envelope.event_id)
