"""月度调度 on both stores: requests, reminders before the deadline, misses and escalation."""

from __future__ import annotations

from datetime import date

import pytest

from duban_contracts.commands import RequestMonthlyReports
from duban_contracts.events import (
    ProgressReported,
    ReminderDue,
    ReportMissing,
    ReportRequested,
    TaskClosed,
    TaskDispatched,
    TaskRegistered,
)
from duban_contracts.vocabulary import ReminderKind

from .conftest import Watcher, local

pytestmark = pytest.mark.integration

FAR = date(2026, 6, 30)


def task(task_id: str, lead: str, supporting: tuple[str, ...] = ()) -> TaskRegistered:
    return TaskRegistered(
        task_id=task_id,
        plan_id="plan-m",
        plan_title="稳就业行动方案",
        measure_id="m-1",
        title=f"任务{task_id}",
        lead_department_ids=(lead,),
        supporting_department_ids=supporting,
        due_on=FAR,
    )


def monthly_view(by_day: dict[date, list]) -> list[tuple]:  # type: ignore[type-arg]
    out: list[tuple] = []  # type: ignore[type-arg]
    for day, messages in by_day.items():
        for m in messages:
            if isinstance(m, ReportRequested):
                out.append((day, "requested", m.department_id, m.open_task_ids, m.report_due_on))
            elif isinstance(m, ReminderDue) and m.kind is ReminderKind.REPORT_DEADLINE:
                out.append((day, "remind", m.department_ids, m.task_id, m.working_days_left))
            elif isinstance(m, ReportMissing):
                level = m.escalation_level.value if m.escalation_level else None
                out.append((day, "missing", m.department_id, m.consecutive_misses, level))
    return out


async def test_monthly_dispatch_reminds_flags_and_escalates_misses(watcher: Watcher) -> None:
    watcher.clock.set(local(date(2025, 10, 1)))
    for message in (task("A", "hrss", ("edu",)), task("B", "edu"), task("C", "fin")):
        await watcher.send(message)
    for t in ("A", "B"):  # C stays a draft: nobody is asked about it
        await watcher.send(TaskDispatched(task_id=t, due_on=FAR))
    await watcher.scheduler.ensure_monthly_dispatch()

    october = await watcher.run_days(date(2025, 10, 1), date(2025, 10, 21))
    assert monthly_view(october) == [
        (date(2025, 10, 20), "requested", "edu", ("A", "B"), date(2025, 10, 28)),
        (date(2025, 10, 20), "requested", "hrss", ("A",), date(2025, 10, 28)),
    ]
    await watcher.send(
        ProgressReported(
            task_id="A", report_id="r-1", department_id="hrss", percent=30, period="2025-10"
        )
    )
    await watcher.send(  # edu reports only on A, the task it supports, not on B it leads
        ProgressReported(
            task_id="A", report_id="r-2", department_id="edu", percent=30, period="2025-10"
        )
    )
    rest = await watcher.run_days(date(2025, 10, 22), date(2025, 10, 31))
    assert monthly_view(rest) == [
        # two working days before the 28th (a Tuesday): Friday the 24th; hrss, which filed
        # on the task it leads, is neither reminded nor flagged
        (date(2025, 10, 24), "remind", ("edu",), "B", 2),
        (date(2025, 10, 29), "missing", "edu", 1, None),
    ]

    # November: a manual request first; the calendar's dispatch then asks nobody twice.
    watcher.clock.set(local(date(2025, 11, 10)))
    before = len(await watcher.events())
    await watcher.send(RequestMonthlyReports(period="2025-11", requested_by="u-sup"))
    manual = [m for _, m in (await watcher.events())[before:]]
    assert [(type(m), m.department_id, m.report_due_on) for m in manual] == [
        (ReportRequested, "edu", date(2025, 11, 28)),
        (ReportRequested, "hrss", date(2025, 11, 28)),
    ]
    await watcher.send(
        ProgressReported(
            task_id="A", report_id="r-3", department_id="hrss", percent=50, period="2025-11"
        )
    )
    november = await watcher.run_days(date(2025, 11, 10), date(2025, 12, 2))
    assert monthly_view(november) == [
        (date(2025, 11, 26), "remind", ("edu",), "B", 2),
        (date(2025, 12, 1), "missing", "edu", 2, "orange"),  # second miss in a row: 橙
    ]
    # December: edu files on B, the task it leads, and is not 缺报 though A is unreported.
    await watcher.send(
        ProgressReported(
            task_id="B", report_id="r-4", department_id="edu", percent=60, period="2025-12"
        )
    )
    await watcher.send(TaskClosed(task_id="A"))  # closed: hrss owes nothing any more
    december = await watcher.run_days(date(2025, 12, 3), date(2026, 1, 5))
    assert [v[2] for v in monthly_view(december) if v[1] == "requested"] == ["edu"]
    assert [v for v in monthly_view(december) if v[1] in ("remind", "missing")] == []
    keys = [m.dedupe_key for _, m in await watcher.events()]
    assert len(keys) == len(set(keys))


async def test_bad_period_is_refused_before_anything_is_written(watcher: Watcher) -> None:
    await watcher.send(task("A", "hrss"))
    await watcher.send(TaskDispatched(task_id="A", due_on=FAR))
    with pytest.raises(ValueError, match="无效的月份"):
        await watcher.send(RequestMonthlyReports(period="2025-13", requested_by="u-sup"))
    assert await watcher.events() == []


async def test_days_off_move_the_cycle_and_a_report_on_the_moved_deadline_counts(
    watcher: Watcher,
) -> None:
    """June 2026: the 20th is a Saturday and the 28th a Sunday. The dispatch runs on Monday the
    22nd, the deadline is Monday the 29th, and a department that files on the 29th is not 缺报
    (before, the check ran at 09:00 on the 29th, ahead of a report filed that morning)."""
    due = date(2026, 12, 31)
    watcher.clock.set(local(date(2026, 6, 1)))
    for message in (task("A", "hrss"), task("B", "edu")):
        await watcher.send(message.model_copy(update={"due_on": due}))
        await watcher.send(TaskDispatched(task_id=message.task_id, due_on=due))
    await watcher.scheduler.ensure_monthly_dispatch()

    june = await watcher.run_days(date(2026, 6, 1), date(2026, 6, 28))
    assert monthly_view(june) == [
        (date(2026, 6, 22), "requested", "edu", ("B",), date(2026, 6, 29)),
        (date(2026, 6, 22), "requested", "hrss", ("A",), date(2026, 6, 29)),
        # two working days before Monday the 29th: Thursday the 25th (not the weekend)
        (date(2026, 6, 25), "remind", ("edu",), "B", 2),
        (date(2026, 6, 25), "remind", ("hrss",), "A", 2),
    ]
    await watcher.send(  # hrss files on the deadline day itself
        ProgressReported(
            task_id="A", report_id="r-6", department_id="hrss", percent=40, period="2026-06"
        )
    )
    end = await watcher.run_days(date(2026, 6, 29), date(2026, 7, 1))
    assert monthly_view(end) == [(date(2026, 6, 30), "missing", "edu", 1, None)]
