"""The timer loop: fire due timers in batches, each batch in one transaction.

A batch locks its timers, writes their events to the outbox, marks them fired and plans what
follows (the next overdue reminder, the 红 check after a 橙, next month's dispatch) in a single
transaction: a crash leaves either all of it or none of it, so after a restart every missed
timer fires exactly once, marked late when it fires after `late_after_seconds`.
The scheduler only ever holds one batch in memory, however many timers are pending.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opentelemetry import trace
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters import store
from deadline_watcher.adapters.tables import tasks
from deadline_watcher.domain.timers import (
    TimerKind,
    TimerSpec,
    first_dispatch_period,
    level_rank,
    monthly_dispatch_timer,
    next_period,
    overdue_timer,
    red_check_timer,
)
from deadline_watcher.service_layer import monthly
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.planning import is_active
from duban_common.db import is_postgres
from duban_common.logging import get_logger
from duban_common.telemetry import context_from, traceparent_of
from duban_contracts import Envelope
from duban_contracts.events import EscalationRaised, ReminderDue, TaskOverdue
from duban_contracts.vocabulary import EscalationLevel, ReminderKind

log = get_logger(__name__)
tracer = trace.get_tracer("duban.deadline_watcher")

SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass
class _Batch:
    """What one batch produces, written at the end of its transaction."""

    envelopes: list[Envelope] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    follow_ups: list[TimerSpec] = field(default_factory=list)
    task_changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    milestone_levels: dict[tuple[str, str], str] = field(default_factory=dict)


class Scheduler:
    def __init__(self, ctx: WatcherContext) -> None:
        self.ctx = ctx
        self.batch_size = ctx.settings.scheduler_batch_size
        self.fired_total = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def ensure_monthly_dispatch(self) -> None:
        """The calendar's next 月度调度 exists from the first start on (then it chains)."""
        day, cal = self.ctx.settings.monthly_dispatch_day, self.ctx.calendar
        period = first_dispatch_period(self.ctx.today(), day, cal)
        timer = monthly_dispatch_timer(period, day, self.ctx.fire, cal)
        async with self.ctx.unit_of_work() as uow:
            await store.add_timers(uow.conn, [timer])

    async def fire_due(self) -> int:
        """Fire one batch of due timers. Returns how many timers it took (0: none due)."""
        ctx = self.ctx
        now = ctx.now()
        batch = _Batch()
        async with ctx.unit_of_work() as uow:
            conn = uow.conn
            due, known = await store.claim_due_timers(conn, now, self.batch_size, SENT)
            if not due:
                return 0
            milestones = await store.milestones_of(
                conn, [(x.task_id, x.milestone) for x in due if x.milestone is not None]
            )
            for timer in due:
                late = (now - timer.fire_at).total_seconds() > ctx.settings.late_after_seconds
                done = (len(batch.envelopes), len(batch.follow_ups))
                try:
                    if timer.milestone is not None:
                        task = known.get(timer.task_id)
                        ms = milestones.get((timer.task_id, timer.milestone))
                        fired = self._fire_milestone_timer(timer, task, ms, now, late, batch)
                    elif timer.task_id is not None:
                        task = known.get(timer.task_id)
                        fired = self._fire_task_timer(timer, task, now, late, batch)
                    else:
                        async with conn.begin_nested():  # its writes go if it fails
                            fired = await self._fire_department_timer(conn, timer, now, late, batch)
                except Exception as exc:
                    # One bad timer must not block every batch behind it: it is recorded as
                    # failed (and logged) instead of retried forever.
                    del batch.envelopes[done[0] :], batch.follow_ups[done[1] :]
                    batch.failed.append(timer.id)
                    log.error("timer_failed", key=timer.dedupe_key, error=repr(exc))
                    continue
                (batch.sent if fired else batch.skipped).append(timer.id)
            uow.add_event(*batch.envelopes)
            await store.mark_fired(conn, batch.skipped, SKIPPED, now)
            await store.mark_fired(conn, batch.failed, FAILED, now)
            await store.add_timers(conn, batch.follow_ups)
            for (task_id, key), level in batch.milestone_levels.items():
                await store.store_milestone_level(conn, task_id, key, level)
            for task_id, values in batch.task_changes.items():
                await conn.execute(
                    update(tasks).where(tasks.c.task_id == task_id).values(updated_at=now, **values)
                )
        self.fired_total += len(batch.sent)
        return len(due)

    @property
    def workers(self) -> int:
        return self.ctx.settings.scheduler_workers if is_postgres(self.ctx.engine) else 1

    async def run(self, stop: asyncio.Event) -> None:
        """Fire timers until `stop` is set: one loop per worker (PostgreSQL: several batches
        at once, SKIP LOCKED keeps them apart, one builds events while another waits)."""
        await asyncio.gather(*(self._loop(stop) for _ in range(self.workers)))

    async def _loop(self, stop: asyncio.Event) -> None:
        idle = self.ctx.settings.scheduler_poll_seconds
        backoff = idle
        while not stop.is_set():
            try:
                if await self.fire_due() >= self.batch_size:
                    continue
                delay = await self._until_next_due(idle)
                backoff = idle
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("scheduler_batch_failed", error=repr(exc))
                backoff = delay = min(backoff * 2, 30.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, self._wake), timeout=delay)

    async def _until_next_due(self, idle: float) -> float:
        async with self.ctx.engine.connect() as conn:
            nxt = await store.next_fire_at(conn)
        if nxt is None:
            return idle
        return max(0.005, min(idle, (nxt - self.ctx.now()).total_seconds()))

    # --- task timers ------------------------------------------------------------------

    def _fire_task_timer(
        self, timer: Any, task: dict[str, Any] | None, now: datetime, late: bool, batch: _Batch
    ) -> bool:
        if task is None or not is_active(task["status"]) or task["due_on"] != timer.due_on:
            return False  # closed, or planned for a due date that has since changed
        kind = TimerKind(timer.kind)
        message: Any
        if kind in (TimerKind.BEFORE_DUE, TimerKind.DUE_TODAY):
            message = ReminderDue(
                **self._about(task, timer, late),
                kind=ReminderKind(kind.value),
                working_days_left=self.ctx.calendar.working_days_between(
                    self.ctx.today(), task["due_on"]
                ),
            )
        elif kind is TimerKind.OVERDUE:
            message = TaskOverdue(
                **self._about(task, timer, late), working_days_late=max(1, self._late_by(task))
            )
            batch.follow_ups.append(self._next_overdue(task, timer.step, now))
        else:
            message = self._escalate(task, timer, kind, now, late, batch)
            if message is None:
                return False
        batch.envelopes.append(self._traced(message, kind, task.get("traceparent"), now))
        return True

    def _fire_milestone_timer(
        self,
        timer: Any,
        task: dict[str, Any] | None,
        ms: dict[str, Any] | None,
        now: datetime,
        late: bool,
        batch: _Batch,
    ) -> bool:
        """A milestone's (时间节点) timer: the task's reminders and ladder, about the milestone;
        its escalation level is the milestone's own. Nothing once a report says it is done."""
        if task is None or not is_active(task["status"]) or ms is None:
            return False
        if ms["done_at"] is not None or ms["due_on"] != timer.due_on:
            return False  # done, or planned for a date that has since moved
        view = {**task, "due_on": ms["due_on"], "escalation_level": ms["escalation_level"]}
        about = {**self._about(view, timer, late), "milestone": f"时间节点：{ms['text']}"[:500]}
        kind = TimerKind(timer.kind)
        message: Any
        if kind in (TimerKind.BEFORE_DUE, TimerKind.DUE_TODAY):
            left = self.ctx.calendar.working_days_between(self.ctx.today(), ms["due_on"])
            message = ReminderDue(**about, kind=ReminderKind(kind.value), working_days_left=left)
        elif kind is TimerKind.OVERDUE:
            message = TaskOverdue(**about, working_days_late=max(1, self._late_by(view)))
            every = self.ctx.policies.for_plan(task["plan_id"]).overdue_every
            step = timer.step + every
            spec = overdue_timer(task["task_id"], ms["due_on"], step, *self._cal_fire, ms["key"])
            while spec.fire_at <= now:
                step += every
                spec = overdue_timer(
                    task["task_id"], ms["due_on"], step, *self._cal_fire, ms["key"]
                )
            batch.follow_ups.append(spec)
        else:
            level = kind.level
            if level is None or level_rank(level) <= level_rank(ms["escalation_level"]):
                return False
            late_by = self._late_by(view)
            if kind is TimerKind.BLUE:
                reason = f"时间节点“{ms['text'][:60]}”距期限还有{-late_by}个工作日"
            else:
                reason = f"时间节点“{ms['text'][:60]}”已逾期{late_by}个工作日，未报告完成"
            message = EscalationRaised(
                **about,
                level=EscalationLevel(level),
                working_days_late=max(0, late_by),
                working_days_left=max(0, -late_by),
                lead_department_ids=tuple(task["lead_department_ids"]),
                reason=reason,
            )
            ms["escalation_level"] = level
            batch.milestone_levels[(task["task_id"], ms["key"])] = level
        batch.envelopes.append(self._traced(message, kind, task.get("traceparent"), now))
        return True

    def _traced(
        self, message: Any, kind: TimerKind, traceparent: str | None, now: datetime
    ) -> Envelope:
        """A fired timer continues the trace of the change that planned it."""
        if not traceparent:
            return self.ctx.wrap(message, now)
        with tracer.start_as_current_span(
            f"timer fired {kind.value}", context=context_from(traceparent)
        ) as span:
            return self.ctx.wrap(message, now, traceparent=traceparent_of(span) or traceparent)

    def _escalate(
        self,
        task: dict[str, Any],
        timer: Any,
        kind: TimerKind,
        now: datetime,
        late: bool,
        batch: _Batch,
    ) -> EscalationRaised | None:
        level = kind.level
        assert level is not None, f"{kind} is not an escalation"
        if level_rank(level) <= level_rank(task["escalation_level"]):
            return None  # this level (or a higher one) was raised already
        late_by = self._late_by(task)
        if kind is TimerKind.RED_CHECK:
            answered = task["last_activity_at"] is not None and (
                task["orange_raised_at"] is None
                or task["last_activity_at"] > task["orange_raised_at"]
            )
            if task["escalation_level"] != "orange" or answered:
                return None
            reason = "橙色督办后未报送进展，也未答复督办通知，升级为红色督办"
        elif kind is TimerKind.BLUE:
            left = -late_by
            reason = f"距办理时限还有{left}个工作日" if left > 0 else "今日到期"
        else:
            reason = f"已逾期{late_by}个工作日"
        changes: dict[str, Any] = {"escalation_level": level}
        if kind is TimerKind.ORANGE:
            wait = self.ctx.policies.for_plan(task["plan_id"]).red_if_orange_ignored_for
            changes["orange_raised_at"] = now
            if wait is not None:
                check = red_check_timer(
                    task["task_id"], task["due_on"], self.ctx.today(), wait,
                    self.ctx.calendar, self.ctx.fire,
                )  # fmt: skip
                changes["red_check_on"] = self.ctx.fire.local_date(check.fire_at)
                batch.follow_ups.append(check)
        message = EscalationRaised(
            **self._about(task, timer, late),
            level=EscalationLevel(level),
            working_days_late=max(0, late_by),
            working_days_left=max(0, -late_by),
            lead_department_ids=tuple(task["lead_department_ids"]),
            reason=reason,
        )
        task.update(changes)
        batch.task_changes.setdefault(task["task_id"], {}).update(changes)
        return message

    def _about(self, task: dict[str, Any], timer: Any, late: bool) -> dict[str, Any]:
        return {
            "task_id": task["task_id"],
            "task_title": task["title"][:500],
            "plan_id": task["plan_id"],
            "due_on": task["due_on"],
            "department_ids": tuple(
                dict.fromkeys([*task["lead_department_ids"], *task["supporting_department_ids"]])
            ),
            "scheduled_for": timer.fire_at,
            "late": late,
            "dedupe_key": timer.dedupe_key,
        }

    def _late_by(self, task: dict[str, Any]) -> int:
        return self.ctx.calendar.working_days_between(task["due_on"], self.ctx.today())

    def _next_overdue(self, task: dict[str, Any], step: int, now: datetime) -> TimerSpec:
        """The next overdue reminder still ahead (after downtime, skip the ones long gone)."""
        every = self.ctx.policies.for_plan(task["plan_id"]).overdue_every
        spec = overdue_timer(task["task_id"], task["due_on"], step + every, *self._cal_fire)
        while spec.fire_at <= now:
            spec = overdue_timer(
                task["task_id"], task["due_on"], (spec.step or 0) + every, *self._cal_fire
            )
        return spec

    @property
    def _cal_fire(self) -> tuple[Any, Any]:
        return self.ctx.calendar, self.ctx.fire

    # --- department timers (月度调度) -------------------------------------------------

    async def _fire_department_timer(
        self, conn: AsyncConnection, timer: Any, now: datetime, late: bool, batch: _Batch
    ) -> bool:
        kind = TimerKind(timer.kind)
        if kind is TimerKind.MONTHLY_DISPATCH:
            found = await monthly.dispatch_period(
                conn, self.ctx, timer.period, now, timer.fire_at, late
            )
            day = self.ctx.settings.monthly_dispatch_day
            cal = self.ctx.calendar
            following = max(
                next_period(timer.period), first_dispatch_period(self.ctx.today(), day, cal)
            )
            batch.follow_ups.append(monthly_dispatch_timer(following, day, self.ctx.fire, cal))
        elif kind is TimerKind.REPORT_REMINDER:
            found = await monthly.report_reminders(conn, self.ctx, timer, now, late)
        elif kind is TimerKind.REPORT_CHECK:
            found = await monthly.check_report(conn, self.ctx, timer, now, late)
        else:
            log.warning("unknown_timer_kind", kind=timer.kind, timer_id=timer.id)
            return False
        batch.envelopes.extend(found)
        return bool(found)


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
