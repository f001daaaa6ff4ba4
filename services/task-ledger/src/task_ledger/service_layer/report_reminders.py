"""催报: a supervisor reminds a department that has not sent its monthly progress report
(月度进展缺报) — the command goes to the notifier through the outbox, like 催办."""

from __future__ import annotations

from sqlalchemy import select

from duban_contracts import commands as cmd
from task_ledger.adapters import tables as t
from task_ledger.domain import authz
from task_ledger.domain.errors import NotAllowed, NotFound
from task_ledger.domain.model import User
from task_ledger.service_layer import rate_limits
from task_ledger.service_layer.uow import Ledger


async def remind_missing_report(ledger: Ledger, user: User, department_id: str, period: str) -> str:
    """Queue the reminder; returns its command id. Only a missing report of a department
    taking part in the supervisor's plans can be reminded of."""
    if not authz.is_decider(user):
        raise NotAllowed("只有督查人员可以催报")
    await rate_limits.count(ledger, user, "reminder")
    m = t.monthly_reports.c
    async with ledger.transaction() as tx:
        row = (
            await tx.conn.execute(
                select(t.monthly_reports).where(
                    m.department_id == department_id, m.period == period, m.missing.is_(True)
                )
            )
        ).first()
        scope = authz.plan_scope(user)
        if row is not None and scope is not None:
            taking_part = await tx.conn.scalar(
                select(t.task_departments.c.task_id)
                .join(t.tasks, t.tasks.c.id == t.task_departments.c.task_id)
                .where(
                    t.task_departments.c.department_id == department_id,
                    t.tasks.c.plan_id.in_(scope),
                )
                .limit(1)
            )
            row = row if taking_part is not None else None
        if row is None:
            raise NotFound("没有该单位该月的缺报记录")
        envelope = tx.emit(
            cmd.SendReportReminder(
                department_id=department_id,
                period=period,
                report_due_on=row.report_due_on,
                consecutive_misses=max(1, row.consecutive_misses),
                requested_by=user.id,
            )
        )
        tx.audit(user.id, "report.remind", "department", department_id, None, {"period": period})
    return str(envelope.event_id)
