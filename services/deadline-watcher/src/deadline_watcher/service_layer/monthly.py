"""月度调度: request every department's monthly report, remind, and flag missing reports."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters import store
from deadline_watcher.adapters.tables import progress_reports, report_requests, tasks
from deadline_watcher.domain.timers import (
    parse_period,
    period_of,
    previous_period,
    report_timers,
    working_day_in_period,
)
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.planning import is_active
from duban_common.db import dialect_insert
from duban_contracts import Envelope
from duban_contracts.events import ReminderDue, ReportMissing, ReportRequested
from duban_contracts.vocabulary import EscalationLevel, ReminderKind


def report_due_on(ctx: WatcherContext, period: str) -> date:
    """The period's report day (a working day); a request made after it gets a few working
    days' grace."""
    due = working_day_in_period(period, ctx.settings.report_due_day, ctx.calendar)
    today = ctx.today()
    if due < today:
        due = ctx.calendar.working_days_after(today, ctx.settings.report_grace_working_days)
    return due


async def dispatch_period(
    conn: AsyncConnection,
    ctx: WatcherContext,
    period: str,
    now: datetime,
    scheduled_for: datetime,
    late: bool,
    cause: Envelope | None = None,
) -> list[Envelope]:
    """ReportRequested to every department with open tasks that was not asked yet."""
    parse_period(period)  # a bad period is refused before anything is written
    due = report_due_on(ctx, period)
    rows = (
        await conn.execute(
            select(
                tasks.c.task_id,
                tasks.c.status,
                tasks.c.lead_department_ids,
                tasks.c.supporting_department_ids,
            ).order_by(tasks.c.task_id)
        )
    ).all()
    open_tasks: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if is_active(row.status):
            for department_id in dict.fromkeys(
                [*row.lead_department_ids, *row.supporting_department_ids]
            ):
                open_tasks[department_id].append(row.task_id)
    envelopes = []
    for department_id, task_ids in sorted(open_tasks.items()):
        inserted = await conn.execute(
            dialect_insert(conn, report_requests)
            .values(
                department_id=department_id,
                period=period,
                report_due_on=due,
                task_ids=task_ids,
                requested_at=now,
                consecutive_misses=0,
            )
            .on_conflict_do_nothing()
            .returning(report_requests.c.department_id)
        )
        if inserted.first() is None:
            continue  # asked already (the calendar and a manual request may both run)
        message = ReportRequested(
            department_id=department_id,
            period=period,
            report_due_on=due,
            open_task_ids=tuple(task_ids),
            scheduled_for=scheduled_for,
            late=late,
            dedupe_key=f"{department_id}:report:{period}",
        )
        envelopes.append(ctx.wrap(message, now, cause))
        await store.add_timers(
            conn,
            report_timers(
                department_id,
                period,
                due,
                ctx.settings.report_reminder_before,
                ctx.calendar,
                ctx.fire,
            ),
        )
    return envelopes


async def outstanding_tasks(
    conn: AsyncConnection, department_id: str, period: str
) -> tuple[Any, list[Any]]:
    """The request, and the open tasks the department leads that it has not reported on.

    The monthly report is the lead department's duty (the ledger's report counts misses on
    led tasks only): a department that reported on every task it leads has filed for the
    month, whatever it said about the tasks it supports."""
    request = (
        await conn.execute(
            select(report_requests).where(
                report_requests.c.department_id == department_id,
                report_requests.c.period == period,
            )
        )
    ).first()
    if request is None:
        return None, []
    reported = set(
        (
            await conn.execute(
                select(progress_reports.c.task_id).where(
                    progress_reports.c.department_id == department_id,
                    progress_reports.c.period == period,
                )
            )
        ).scalars()
    )
    wanted = [t for t in request.task_ids if t not in reported]
    if not wanted:
        return request, []
    rows = (await conn.execute(select(tasks).where(tasks.c.task_id.in_(wanted)))).all()
    owed = (r for r in rows if is_active(r.status) and department_id in r.lead_department_ids)
    return request, sorted(owed, key=lambda r: str(r.task_id))


async def report_reminders(
    conn: AsyncConnection, ctx: WatcherContext, timer: Any, now: datetime, late: bool
) -> list[Envelope]:
    """One task-scoped report_deadline reminder per task the department still owes."""
    request, owed = await outstanding_tasks(conn, timer.department_id, timer.period)
    if request is None:
        return []
    left = ctx.calendar.working_days_between(ctx.today(), request.report_due_on)
    return [
        ctx.wrap(
            ReminderDue(
                task_id=task.task_id,
                task_title=task.title,
                plan_id=task.plan_id,
                kind=ReminderKind.REPORT_DEADLINE,
                due_on=request.report_due_on,
                working_days_left=left,
                department_ids=(timer.department_id,),
                scheduled_for=timer.fire_at,
                late=late,
                dedupe_key=f"{task.task_id}:report_deadline:{timer.department_id}:{timer.period}",
            ),
            now,
        )
        for task in owed
    ]


async def check_report(
    conn: AsyncConnection, ctx: WatcherContext, timer: Any, now: datetime, late: bool
) -> list[Envelope]:
    """After the deadline: ReportMissing, counting consecutive misses and escalating them."""
    request, owed = await outstanding_tasks(conn, timer.department_id, timer.period)
    if request is None:
        return []
    missed = bool(owed)
    misses = 0
    if missed:
        previous = await conn.scalar(
            select(report_requests.c.consecutive_misses).where(
                report_requests.c.department_id == timer.department_id,
                report_requests.c.period == previous_period(timer.period),
                report_requests.c.missed.is_(True),
            )
        )
        misses = (previous or 0) + 1
    await conn.execute(
        update(report_requests)
        .where(
            report_requests.c.department_id == timer.department_id,
            report_requests.c.period == timer.period,
        )
        .values(missed=missed, consecutive_misses=misses)
    )
    if not missed:
        return []
    settings = ctx.settings
    level = (
        EscalationLevel.RED
        if misses >= settings.report_misses_red
        else EscalationLevel.ORANGE
        if misses >= settings.report_misses_orange
        else None
    )
    message = ReportMissing(
        department_id=timer.department_id,
        period=timer.period,
        report_due_on=request.report_due_on,
        consecutive_misses=misses,
        escalation_level=level,
        scheduled_for=timer.fire_at,
        late=late,
        dedupe_key=f"{timer.department_id}:report-missing:{timer.period}",
    )
    return [ctx.wrap(message, now)]


def report_period(period: str | None, occurred_at: datetime, ctx: WatcherContext) -> str:
    """A progress report counts for its stated period, else the month it was filed in."""
    return period or period_of(ctx.fire.local_date(occurred_at))
