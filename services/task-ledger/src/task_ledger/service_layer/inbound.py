"""Events from the deadline-watcher and the notifier, written into the ledger in batches.

A batch is one transaction: the inbox claims (event ids seen before are skipped), the
timeline entries, the in-app inbox messages and the monthly-report bookkeeping. Each event
type has its handler (`HANDLERS`, as in a message bus); the handlers gather timeline entries
and inbox messages, written at the end of the batch with one statement per table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from duban_contracts import Envelope, Message
from duban_contracts import events as ev
from duban_contracts.vocabulary import Channel, ReminderKind
from task_ledger.adapters import repository as repo
from task_ledger.domain import lifecycle
from task_ledger.service_layer.receipts import Receipts
from task_ledger.service_layer.uow import Ledger, Transaction

CONSUMER = "task-ledger"


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
    return _milestone_prefix(message.milestone) + text + ("（补发）" if message.late else "")


def _milestone_prefix(milestone: str | None) -> str:
    """A reminder, overdue or escalation about a milestone (时间节点) says which one."""
    return f"【{milestone[:60]}】" if milestone else ""


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


@dataclass
class Batch:
    """One batch's transaction and the rows its handlers gather."""

    tx: Transaction
    timeline: list[dict[str, Any]] = field(default_factory=list)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    receipts: Receipts = field(default_factory=Receipts)


async def handle_batch(ledger: Ledger, items: Sequence[tuple[Envelope, Message]]) -> int:
    """Apply a batch in one transaction; returns how many events were new."""
    async with ledger.transaction() as tx:
        fresh = await repo.claim_new(tx.conn, CONSUMER, [str(e.event_id) for e, _ in items])
        batch = Batch(tx)
        done: set[str] = set()
        for envelope, message in items:
            eid = str(envelope.event_id)
            if eid not in fresh or eid in done:
                continue
            done.add(eid)
            handler = HANDLERS.get(type(message))
            if handler is not None:
                await handler(batch, envelope, message)
        batch.timeline.extend(await batch.receipts.entries(tx.conn))
        await repo.add_event_timeline(tx.conn, batch.timeline)
        await repo.add_inbox_messages(tx.conn, batch.inbox)
        return len(done)


async def on_reminder_due(batch: Batch, envelope: Envelope, message: ev.ReminderDue) -> None:
    if message.kind is ReminderKind.REPORT_DEADLINE:
        return  # the monthly 报送提醒 is the department's, told once in its digest
    batch.timeline.append(
        _entry(
            envelope,
            message.task_id,
            "reminder",
            reminder_summary(message),
            kind_of_reminder=message.kind.value,
            late=message.late,
            department_ids=list(message.department_ids),
            milestone=message.milestone,
        )
    )


async def on_task_overdue(batch: Batch, envelope: Envelope, message: ev.TaskOverdue) -> None:
    batch.timeline.append(
        _entry(
            envelope,
            message.task_id,
            "overdue",
            _milestone_prefix(message.milestone) + f"已逾期 {message.working_days_late} 个工作日",
            due_on=message.due_on.isoformat(),
            milestone=message.milestone,
        )
    )


async def on_escalation_raised(
    batch: Batch, envelope: Envelope, message: ev.EscalationRaised
) -> None:
    batch.timeline.append(
        _entry(
            envelope,
            message.task_id,
            "escalation",
            f"升级督办（{message.level.label}）：{message.reason[:200]}",  # names the milestone
            level=message.level.value,
            working_days_late=message.working_days_late,
            milestone=message.milestone,
        )
    )
    # A supervision step: the task remembers the highest escalation level it reached.
    tx = batch.tx
    task = await repo.get_task(tx.conn, message.task_id, for_update=True)
    if task is None:
        return
    before = repo.task_snapshot(task)
    if lifecycle.raise_escalation(task, message.level):
        await repo.save_task(tx.conn, task, tx.now)
        tx.audit(None, "task.escalation", "task", task.id, before, repo.task_snapshot(task))


async def on_report_requested(
    batch: Batch, envelope: Envelope, message: ev.ReportRequested
) -> None:
    await repo.upsert_monthly(
        batch.tx.conn,
        message.department_id,
        message.period,
        report_due_on=message.report_due_on,
        requested_at=envelope.occurred_at,
    )
    # The request is the department's (its monthly record), not an entry on each open task.


async def on_report_missing(batch: Batch, envelope: Envelope, message: ev.ReportMissing) -> None:
    level = message.escalation_level
    await repo.upsert_monthly(
        batch.tx.conn,
        message.department_id,
        message.period,
        report_due_on=message.report_due_on,
        missing=True,
        consecutive_misses=message.consecutive_misses,
        escalation_level=level.value if level else None,
    )


async def on_notification_sent(
    batch: Batch, envelope: Envelope, message: ev.NotificationSent
) -> None:
    batch.receipts.add(envelope, message)
    if message.channel == Channel.INBOX:
        batch.inbox.append(
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


async def on_notification_failed(
    batch: Batch, envelope: Envelope, message: ev.NotificationFailed
) -> None:
    if len(message.task_ids) != 1:
        return  # a digest: its failure stays on its own record, as its receipt does
    batch.timeline.append(
        _entry(
            envelope,
            message.task_ids[0],
            "delivery_failed",
            f"{message.channel.label}发送失败"
            f"{'（已放弃）' if message.final else ''}：{message.error[:200]}",
            channel=message.channel.value,
            recipient_id=message.recipient_id,
        )
    )


Handler = Callable[[Batch, Envelope, Any], Awaitable[None]]
HANDLERS: dict[type[Message], Handler] = {
    ev.ReminderDue: on_reminder_due,
    ev.TaskOverdue: on_task_overdue,
    ev.EscalationRaised: on_escalation_raised,
    ev.ReportRequested: on_report_requested,
    ev.ReportMissing: on_report_missing,
    ev.NotificationSent: on_notification_sent,
    ev.NotificationFailed: on_notification_failed,
}
HANDLED = tuple(HANDLERS)
HANDLED_TYPES = frozenset(cls.EVENT_TYPE for cls in HANDLED)


async def mark_read(ledger: Ledger, user_id: str, message_id: str) -> bool:
    async with ledger.transaction() as tx:
        return await repo.mark_inbox_read(tx.conn, user_id, message_id, tx.now)


async def mark_all_read(ledger: Ledger, user_id: str) -> int:
    async with ledger.transaction() as tx:
        return await repo.mark_inbox_all_read(tx.conn, user_id, tx.now)
