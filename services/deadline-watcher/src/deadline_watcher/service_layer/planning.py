"""(Re)plan a task's timers from what the watcher knows about it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from deadline_watcher.adapters import store
from deadline_watcher.domain.timers import TimerSpec, plan_task_timers, red_check_timer
from deadline_watcher.service_layer.context import WatcherContext
from duban_contracts.vocabulary import TaskStatus


def is_active(status: str) -> bool:
    """Reminders run from dispatch (交办) until the task is completed or closed."""
    s = TaskStatus(status)
    return s.is_open and s is not TaskStatus.DRAFT


def task_timers(
    ctx: WatcherContext, task: Any, now: datetime, milestones: Sequence[Any] = ()
) -> list[TimerSpec]:
    """The task's own deadline's timers, and each open milestone's (时间节点) with the same
    reminders and ladder (the 红 check after an ignored 橙 is the task's own only)."""
    if not is_active(task.status):
        return []
    policy = ctx.policies.for_plan(task.plan_id)
    specs = []
    if task.due_on is not None:
        specs = plan_task_timers(
            task.task_id, task.due_on, policy, ctx.calendar, ctx.fire, now, task.escalation_level
        )
        if task.escalation_level == "orange" and task.red_check_on is not None:
            specs.append(
                red_check_timer(
                    task.task_id, task.due_on, task.red_check_on, 0, ctx.calendar, ctx.fire
                )
            )
    for ms in milestones:
        specs += plan_task_timers(
            task.task_id,
            ms.due_on,
            policy,
            ctx.calendar,
            ctx.fire,
            now,
            ms.escalation_level,
            milestone=ms.key,
        )
    return specs


async def replan(conn: AsyncConnection, ctx: WatcherContext, task: Any, now: datetime) -> None:
    """Plan the task's timers again and delete the pending ones no longer planned.

    Fired timers stay (their dedupe keys are never reused); a changed due date makes new keys,
    so nothing stale survives and nothing already said is said again. A pending timer already
    due (missed during downtime) is kept for the current due date, so it fires, late.
    """
    specs = task_timers(ctx, task, now, await store.open_milestones(conn, task.task_id))
    if specs:
        keys = [s.dedupe_key for s in specs]
        await store.delete_pending_task_timers(
            conn, task.task_id, keep_due_on=task.due_on, keep_keys=keys, now=now
        )
    else:
        await store.delete_pending_task_timers(conn, task.task_id)
    await store.add_timers(conn, specs)
