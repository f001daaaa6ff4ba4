"""Events from the deadline-watcher and the notifier, written into the ledger in batches.

A batch is one transaction: the inbox claims (event ids seen before are skipped), the
timeline entries, the in-app inbox messages and the monthly-report bookkeeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from duban_common.db import dialect_insert, insert_rows
from duban_common.inbox import claim_new
from duban_contracts import Envelope, Message
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, ReminderKind
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.domain import lifecycle
from task_ledger.service_layer.uow import Ledger, Transaction

CONSUMER = "task-ledger"
HANDLED = (
    ev.ReminderDue,
    ev.TaskOverdue,
    ev.EscalationRaised,
    ev.ReportRequested,
    ev.ReportMissing,
    ev.NotificationSent,
    ev.NotificationFailed,
)
HANDLED_TYPES = frozenset(cls.EVENT_TYPE for cls in HANDLED)


def reminder_summary(message: ev.ReminderDue) -> str:
    """What a person reads on the timeline; a reminder fired after downtime says so."""
    days = message.working_days_left
    match message.kind:
        case ReminderKind.REPORT_DEADLINE:
            text = f"月度进展报送提醒：请于 {message.due_on} 前报送本月进展"
        case ReminderKind.DUE_TODAY:
            text = f"到期提醒：今日（{message.due_on}）为完成时限"
        case _ if days > 0:
            text = f"到期提醒：距完成时限（{message.due_on}）还有 {days} 个工作日"
        case _:
            text = f"到期提醒：完成时限为 {message.due_on}"
    return text + ("（补发）" if message.late else "")


def _entry(envelope: Envelope, task_id: str, kind: str, summary: str, **data: Any) -> dict:
    return {
        "task_id": task_id,
        "at": envelope.occurred_at,
        "kind": kind,
        "summary": summary,
        "actor_id": None,
        "data": {"event_type": envelope.event_type, **data},
        "source_event_id": str(envelope.event_id),
    }


async def handle_batch(ledger: Ledger, items: Sequence[tuple[Envelope, Message]]) -> int:
    """Apply a batch in one transaction; returns how many events were new."""
    async with ledger.transaction() as tx:
        fresh = await claim_new(
            tx.conn, t.consumer_inbox, CONSUMER, [str(e.event_id) for e, _ in items]
        )
        timeline: list[dict[str, Any]] = []
        inbox: list[dict[str, Any]] = []
        done: set[str] = set()
        for envelope, message in items:
            eid = str(envelope.event_id)
            if eid not in fresh or eid in done:
                continue
            done.add(eid)
            await _apply(tx, envelope, message, timeline, inbox)
        await insert_rows(tx.conn, t.timeline, timeline, skip_existing=True)
        await insert_rows(tx.conn, t.inbox_messages, inbox, skip_existing=True)
        return len(done)


async def _apply(
    tx: Transaction,
    envelope: Envelope,
    message: Message,
    timeline: list[dict[str, Any]],
    inbox: list[dict[str, Any]],
) -> None:
    match message:
        case ev.ReminderDue():
            timeline.append(
                _entry(
                    envelope,
                    message.task_id,
                    "reminder",
                    reminder_summary(message),
                    kind_of_reminder=message.kind.value,
                    late=message.late,
                    department_ids=list(message.department_ids),
                )
            )
        case ev.TaskOverdue():
            timeline.append(
                _entry(
                    envelope,
                    message.task_id,
                    "overdue",
                    f"已逾期 {message.working_days_late} 个工作日",
                    due_on=message.due_on.isoformat(),
                )
            )
        case ev.EscalationRaised():
            timeline.append(
                _entry(
                    envelope,
                    message.task_id,
                    "escalation",
                    f"升级督办（{message.level.label}）：{message.reason[:200]}",
                    level=message.level.value,
                    working_days_late=message.working_days_late,
                )
            )
            await _record_escalation(tx, message)
        case ev.ReportRequested():
            await _upsert_monthly(
                tx,
                message.department_id,
                message.period,
                report_due_on=message.report_due_on,
                requested_at=envelope.occurred_at,
            )
            for task_id in message.open_task_ids:
                timeline.append(
                    _entry(
                        envelope,
                        task_id,
                        "report_requested",
                        f"请于 {message.report_due_on} 前填报 {message.period} 月度进展",
                        department_id=message.department_id,
                    )
                )
        case ev.ReportMissing():
            await _upsert_monthly(
                tx,
                message.department_id,
                message.period,
                report_due_on=message.report_due_on,
                missing=True,
                consecutive_misses=message.consecutive_misses,
                escalation_level=message.escalation_level.value
                if message.escalation_level
                else None,
            )
        case ev.NotificationSent():
            for task_id in message.task_ids:
                timeline.append(
                    _entry(
                        envelope,
                        task_id,
                        "delivered",
                        f"已通过{message.channel.label}送达：{message.subject[:200]}",
                        channel=message.channel.value,
                        recipient_id=message.recipient_id,
                        notification_id=message.notification_id,
                    )
                )
            if message.channel == Channel.INBOX:
                inbox.append(
                    {
                        "id": f"inb-{envelope.event_id.hex}",
                        "user_id": message.recipient_id,
                        "notification_id": message.notification_id,
                        "subject": message.subject,
                        "body": message.body,
                        "link": message.link,
                        "task_ids": list(message.task_ids),
                        "at": message.at,
                        "read_at": None,
                    }
                )
        case ev.NotificationFailed():
            for task_id in message.task_ids:
                timeline.append(
                    _entry(
                        envelope,
                        task_id,
                        "delivery_failed",
                        f"{message.channel.label}发送失败"
                        f"{'（已放弃）' if message.final else ''}：{message.error[:200]}",
                        channel=message.channel.value,
                        recipient_id=message.recipient_id,
                    )
                )


async def _record_escalation(tx: Transaction, message: ev.EscalationRaised) -> None:
    """A supervision step: the task remembers the highest escalation level it reached."""
    task = await repo.get_task(tx.conn, message.task_id, for_update=True)
    if task is None:
        return
    before = repo.task_snapshot(task)
    if lifecycle.raise_escalation(task, message.level):
        await repo.save_task(tx.conn, task, tx.now)
        tx.audit(None, "task.escalation", "task", task.id, before, repo.task_snapshot(task))


async def _upsert_monthly(tx: Transaction, department_id: str, period: str, **values: Any) -> None:
    stmt = dialect_insert(tx.conn, t.monthly_reports).values(
        department_id=department_id, period=period, **values
    )
    await tx.conn.execute(
        stmt.on_conflict_do_update(index_elements=["department_id", "period"], set_=values)
    )


async def mark_read(ledger: Ledger, user_id: str, message_id: str) -> bool:
    async with ledger.transaction() as tx:
        result = await tx.conn.execute(
            t.inbox_messages.update()
            .where(
                t.inbox_messages.c.id == message_id,
                t.inbox_messages.c.user_id == user_id,
                t.inbox_messages.c.read_at.is_(None),
            )
            .values(read_at=tx.now)
        )
        return bool(result.rowcount)
