"""Milestones (时间节点) as intermediate deadlines: reminded before, escalated after, like the
task's own deadline, until a progress report says the milestone is done."""

from __future__ import annotations

from datetime import date

import pytest

from duban_contracts.events import (
    EscalationRaised,
    Milestone,
    ProgressReported,
    ReminderDue,
    TaskMilestonesSet,
    TaskOverdue,
)

from .conftest import Watcher, local
from .test_scheduling import dispatch, summary

pytestmark = pytest.mark.integration

MILESTONE = Milestone(
    key="ms-2", due_on=date(2023, 12, 31), text="使20%以上的农牧业旗县市拥有符合县域特色的劳务品牌"
)


async def _with_milestone(w: Watcher, task: str) -> None:
    w.clock.set(local(date(2023, 11, 1)))
    await dispatch(w, task, date(2025, 12, 31))
    await w.send(TaskMilestonesSet(task_id=task, milestones=(MILESTONE,)))


async def test_a_milestone_is_reminded_before_and_escalated_after(watcher: Watcher) -> None:
    await _with_milestone(watcher, "t-milestone")
    by_day = await watcher.run_days(date(2023, 12, 1), date(2024, 1, 31))
    messages = [m for day in by_day.values() for m in day]
    assert messages and all(m.milestone == f"时间节点：{MILESTONE.text}" for m in messages)
    got = summary(by_day)
    before = [x for x in got if x[1] == "before_due"]
    assert before and all(day < MILESTONE.due_on for day, _, _ in before)
    assert len(before) == 3  # 5, 3 and 1 working days before (policy default)
    overdue = [x for x in got if x[1] == "overdue"]
    assert overdue and all(day > MILESTONE.due_on for day, _, _ in overdue)
    levels = {kind: day for day, kind, _ in got if kind.startswith("escalation")}
    assert set(levels) == {"escalation_blue", "escalation_orange", "escalation_red"}
    assert levels["escalation_blue"] < MILESTONE.due_on < levels["escalation_orange"]
    assert levels["escalation_orange"] < levels["escalation_red"]
    red = next(m for m in messages if isinstance(m, EscalationRaised) and m.level.value == "red")
    assert "未报告完成" in red.reason and red.due_on == MILESTONE.due_on
    # The task's own deadline (2025-12-31) still has its own timers.
    pending = await watcher.pending("t-milestone")
    assert any(p.milestone is None and p.due_on == date(2025, 12, 31) for p in pending)


async def test_a_milestone_reported_done_stops_its_reminders(watcher: Watcher) -> None:
    await _with_milestone(watcher, "t-milestone-done")
    early = await watcher.run_days(date(2023, 12, 1), date(2023, 12, 25))
    assert any(isinstance(m, ReminderDue) for day in early.values() for m in day)
    await watcher.send(
        ProgressReported(
            task_id="t-milestone-done",
            report_id="r-ms",
            department_id="hrss",
            percent=30,
            period="2023-12",
            done_work="20%以上的农牧业旗县市已拥有劳务品牌，附名单",
            milestones_done=("ms-2",),
        )
    )
    later = await watcher.run_days(date(2023, 12, 26), date(2024, 2, 29))
    after = [m for day in later.values() for m in day if m.milestone]
    assert not [m for m in after if isinstance(m, (TaskOverdue, EscalationRaised))]
    assert all(p.milestone is None for p in await watcher.pending("t-milestone-done"))


async def test_a_moved_milestone_starts_again_and_a_removed_one_is_forgotten(
    watcher: Watcher,
) -> None:
    await _with_milestone(watcher, "t-milestone-moved")
    moved = Milestone(key="ms-2", due_on=date(2024, 3, 29), text=MILESTONE.text)
    await watcher.send(TaskMilestonesSet(task_id="t-milestone-moved", milestones=(moved,)))
    pending = [p for p in await watcher.pending("t-milestone-moved") if p.milestone]
    assert pending and {p.due_on for p in pending} == {date(2024, 3, 29)}
    await watcher.send(TaskMilestonesSet(task_id="t-milestone-moved", milestones=()))
    assert not [p for p in await watcher.pending("t-milestone-moved") if p.milestone]
