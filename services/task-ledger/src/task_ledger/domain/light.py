"""The traffic light (亮灯): one function, used by the API, the pages and the reports alike."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain.indicators import worse

DEFAULT_WARNING_DAYS = 3


class HasSchedule(Protocol):
    status: TaskStatus
    due_on: date | None
    start_on: date | None
    progress: int


def light(task: HasSchedule, today: date, warning_days: int = DEFAULT_WARNING_DAYS) -> Light:
    """The worst of the time light, the lights of the task's indicators and of its milestones
    (an open one past its day is red; docs/indicators.md). Finished tasks are green."""
    lamp = time_light(task, today, warning_days)
    if task.status.is_open:
        for tracked in getattr(task, "indicators", ()):
            lamp = worse(lamp, tracked.assess(today).light)
        for milestone in getattr(task, "milestones", ()):
            lamp = worse(lamp, milestone.assess(today)[0])
    return lamp


def light_reasons(task: HasSchedule, today: date) -> list[str]:
    """Why the numbers or the milestones light the task (自治区级劳务品牌 8/30，按进度应达 18;
    时间节点 2023-12-31 逾期未完成：…)."""
    if not task.status.is_open:
        return []
    verdicts = (tracked.assess(today) for tracked in getattr(task, "indicators", ()))
    reasons = [v.reason for v in verdicts if v.reason]
    late = (m.assess(today)[1] for m in getattr(task, "milestones", ()))
    return reasons + [reason for reason in late if reason]


def time_light(task: HasSchedule, today: date, warning_days: int = DEFAULT_WARNING_DAYS) -> Light:
    """Green on track; yellow when due within the warning window or progress lags the elapsed
    share of the time; red when overdue. Finished tasks are green."""
    if task.status in (TaskStatus.COMPLETED, TaskStatus.CLOSED) or task.due_on is None:
        return Light.GREEN
    if today > task.due_on:
        return Light.RED
    if (task.due_on - today).days <= warning_days:
        return Light.YELLOW
    if task.start_on is not None and task.due_on > task.start_on and today > task.start_on:
        elapsed = (today - task.start_on).days / (task.due_on - task.start_on).days
        if task.progress < elapsed * 100:
            return Light.YELLOW
    return Light.GREEN


def is_overdue(task: HasSchedule, today: date) -> bool:
    return task.status.is_open and task.due_on is not None and today > task.due_on
