"""Inbound events and commands: keep the watcher's picture of each task and its timers.

Each message is handled in one transaction together with its inbox claim, so a redelivered
message changes nothing, and every event it causes goes to the outbox in that transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters import store
from deadline_watcher.adapters.tables import inbox as inbox_t
from deadline_watcher.adapters.tables import progress_reports, tasks
from deadline_watcher.domain.timers import level_rank
from deadline_watcher.service_layer import activity, monthly
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.planning import replan
from duban_common import inbox
from duban_common.batch_consumer import Inbound, consumer_span
from duban_common.db import dialect_insert
from duban_common.logging import get_logger
from duban_common.messagebus import handled_types, handler_for
from duban_common.telemetry import current_traceparent
from duban_common.uow import UnitOfWork
from duban_contracts import Envelope, Message
from duban_contracts import commands as c
from duban_contracts import events as e
from duban_contracts.vocabulary import Decision, EscalationLevel, TaskStatus

log = get_logger(__name__)

CONSUMER = "deadline-watcher"

Handler = Callable[
    [AsyncConnection, WatcherContext, Envelope, Any, datetime], Awaitable[list[Envelope]]
]


async def handle(ctx: WatcherContext, envelope: Envelope, message: Message) -> None:
    """One message in a transaction of its own, with its inbox claim."""
    if handler_for(HANDLERS, message) is None:
        return
    async with ctx.unit_of_work() as uow:
        if await inbox.claim(uow.conn, inbox_t, CONSUMER, str(envelope.event_id)):
            await _apply(uow, ctx, envelope, message)


async def handle_batch(ctx: WatcherContext, events: Sequence[Inbound]) -> None:
    """A batch of messages in order in one transaction with their inbox claims: one BEGIN,
    claim and COMMIT for up to a few hundred progress reports, whose plain ones are written
    together (`service_layer.activity`). If one fails, the transaction
    rolls back and the batch consumer hands each message over alone (`duban_common.
    batch_consumer`), so a poison message fails by itself and is dead-lettered."""
    wanted = [item for item in events if handler_for(HANDLERS, item.message) is not None]
    if not wanted:
        return
    async with ctx.unit_of_work() as uow:
        ids = [str(item.envelope.event_id) for item in wanted]
        fresh = await inbox.claim_new(uow.conn, inbox_t, CONSUMER, ids)
        reports = activity.ReportRun()
        for item in wanted:
            event_id = str(item.envelope.event_id)
            if event_id not in fresh:
                continue
            fresh.discard(event_id)  # a duplicate within the batch counts once
            if activity.is_plain_report(item.message):
                reports.add(ctx, item.envelope, item.message, item.traceparent)
                continue
            await reports.write(uow.conn, ctx.now())  # what came before it, first
            with consumer_span(item):
                await _apply(uow, ctx, item.envelope, item.message)
        await reports.write(uow.conn, ctx.now())


async def _apply(
    uow: UnitOfWork, ctx: WatcherContext, envelope: Envelope, message: Message
) -> None:
    handler = handler_for(HANDLERS, message)
    assert handler is not None
    conn = uow.conn
    uow.add_event(*await handler(conn, ctx, envelope, message, ctx.now()))
    traceparent, _ = current_traceparent()
    task_id = getattr(message, "task_id", None)
    if traceparent and task_id:
        await conn.execute(
            update(tasks).where(tasks.c.task_id == task_id).values(traceparent=traceparent)
        )


def accepts(event_type: str) -> bool:
    """Event types this consumer handles; the others are committed without a look."""
    return event_type in _HANDLED_TYPES


async def _load(conn: AsyncConnection, task_id: str) -> Any:
    return (await conn.execute(select(tasks).where(tasks.c.task_id == task_id))).first()


async def _change(
    conn: AsyncConnection,
    ctx: WatcherContext,
    task_id: str,
    now: datetime,
    *,
    plan: bool = True,
    **values: Any,
) -> None:
    """Update a known task and replan its timers; an unknown task is logged and ignored."""
    result = await conn.execute(
        update(tasks).where(tasks.c.task_id == task_id).values(updated_at=now, **values)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        log.warning("unknown_task", task_id=task_id, change=sorted(values))
        return
    if plan:
        await replan(conn, ctx, await _load(conn, task_id), now)


def _new_due_date(due_on: Any) -> dict[str, Any]:
    """A new deadline starts a new escalation ladder."""
    return {"due_on": due_on, "escalation_level": None, "red_check_on": None}


async def on_registered(
    conn: AsyncConnection, ctx: WatcherContext, env: Envelope, m: e.TaskRegistered, now: datetime
) -> list[Envelope]:
    values = {
        "plan_id": m.plan_id,
        "title": m.title,
        "lead_department_ids": list(m.lead_department_ids),
        "supporting_department_ids": list(m.supporting_department_ids),
        "due_on": m.due_on,
        "status": m.status.value,
        "updated_at": now,
    }
    insert = dialect_insert(conn, tasks).values(task_id=m.task_id, **values)
    await conn.execute(insert.on_conflict_do_update(index_elements=["task_id"], set_=values))
    await replan(conn, ctx, await _load(conn, m.task_id), now)
    return []


async def on_dispatched(
    conn: AsyncConnection, ctx: WatcherContext, env: Envelope, m: e.TaskDispatched, now: datetime
) -> list[Envelope]:
    task = await _load(conn, m.task_id)
    values: dict[str, Any] = {}
    if task is not None and task.status == TaskStatus.DRAFT:
        values["status"] = TaskStatus.DISPATCHED.value
    if m.due_on is not None and (task is None or m.due_on != task.due_on):
        values.update(_new_due_date(m.due_on))
    await _change(conn, ctx, m.task_id, now, **values)
    return []


async def on_due_date_changed(
    conn: AsyncConnection, ctx: WatcherContext, env: Envelope, m: e.DueDateChanged, now: datetime
) -> list[Envelope]:
    await _change(conn, ctx, m.task_id, now, **_new_due_date(m.due_on))
    return []


async def on_extension_decided(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.ExtensionDecided,
    now: datetime,
) -> list[Envelope]:
    if m.decision is Decision.APPROVED and m.due_on is not None:
        await _change(conn, ctx, m.task_id, now, **_new_due_date(m.due_on))
    return []


async def on_status_changed(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.TaskStatusChanged,
    now: datetime,
) -> list[Envelope]:
    await _change(conn, ctx, m.task_id, now, status=m.to_status.value)
    return []


async def on_closed(
    conn: AsyncConnection, ctx: WatcherContext, env: Envelope, m: e.TaskClosed, now: datetime
) -> list[Envelope]:
    await _change(conn, ctx, m.task_id, now, status=TaskStatus.CLOSED.value)
    return []


async def on_completion_decided(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.CompletionDecided,
    now: datetime,
) -> list[Envelope]:
    if m.decision is Decision.APPROVED:
        await _change(conn, ctx, m.task_id, now, status=TaskStatus.COMPLETED.value)
    return []


async def on_progress_reported(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.ProgressReported,
    now: datetime,
) -> list[Envelope]:
    period = monthly.report_period(m.period, env.occurred_at, ctx)
    await conn.execute(
        dialect_insert(conn, progress_reports)
        .values(
            task_id=m.task_id,
            department_id=m.department_id,
            period=period,
            reported_at=env.occurred_at,
        )
        .on_conflict_do_nothing()
    )
    closed = 0
    if m.milestones_done:  # 时间节点 declared done: their reminders and ladder stop
        closed = await store.close_milestones(conn, m.task_id, m.milestones_done, env.occurred_at)
    await _change(conn, ctx, m.task_id, now, plan=closed > 0, last_activity_at=env.occurred_at)
    return []


async def on_milestones_set(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.TaskMilestonesSet,
    now: datetime,
) -> list[Envelope]:
    given = [(ms.key, ms.due_on, ms.text) for ms in m.milestones]
    await store.set_milestones(conn, m.task_id, given)
    await _change(conn, ctx, m.task_id, now)
    return []


async def on_notice_answered(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.SupervisionNoticeAnswered,
    now: datetime,
) -> list[Envelope]:
    await _change(conn, ctx, m.task_id, now, plan=False, last_activity_at=env.occurred_at)
    return []


async def on_notice_issued(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: e.SupervisionNoticeIssued,
    now: datetime,
) -> list[Envelope]:
    """A notice issued by a supervisor moves the ladder as one raised by the watcher would:
    an unanswered 橙 notice turns 红 the working day after its reply date."""
    task = await _load(conn, m.task_id)
    if task is None or level_rank(m.level.value) <= level_rank(task.escalation_level):
        return []
    values: dict[str, Any] = {"escalation_level": m.level.value}
    if m.level is EscalationLevel.ORANGE:
        values["orange_raised_at"] = env.occurred_at
        values["red_check_on"] = ctx.calendar.working_days_after(m.reply_due_on, 1)
    await _change(conn, ctx, m.task_id, now, **values)
    return []


async def on_request_monthly_reports(
    conn: AsyncConnection,
    ctx: WatcherContext,
    env: Envelope,
    m: c.RequestMonthlyReports,
    now: datetime,
) -> list[Envelope]:
    return await monthly.dispatch_period(conn, ctx, m.period, now, now, False, cause=env)


HANDLERS: dict[type[Message], Handler] = {
    e.TaskRegistered: on_registered,
    e.TaskDispatched: on_dispatched,
    e.DueDateChanged: on_due_date_changed,
    e.ExtensionDecided: on_extension_decided,
    e.TaskStatusChanged: on_status_changed,
    e.TaskClosed: on_closed,
    e.CompletionDecided: on_completion_decided,
    e.ProgressReported: on_progress_reported,
    e.TaskMilestonesSet: on_milestones_set,
    e.SupervisionNoticeIssued: on_notice_issued,
    e.SupervisionNoticeAnswered: on_notice_answered,
    c.RequestMonthlyReports: on_request_monthly_reports,
}
_HANDLED_TYPES = handled_types(HANDLERS)
