"""Timers on both stores: the right working days, moves, cancels, once only, late, replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date, time, timedelta

import chinese_calendar
import pytest

from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from duban_common.testing.polling import eventually
from duban_contracts.events import (
    DueDateChanged,
    EscalationRaised,
    ExtensionDecided,
    ProgressReported,
    ReminderDue,
    SupervisionNoticeAnswered,
    SupervisionNoticeIssued,
    TaskClosed,
    TaskDispatched,
    TaskOverdue,
    TaskRegistered,
    TaskStatusChanged,
)
from duban_contracts.vocabulary import Decision, EscalationLevel, TaskStatus

from .conftest import Watcher, local, settings_for

pytestmark = pytest.mark.integration

FRIDAY_AFTER_NATIONAL_DAY = date(2025, 10, 10)


def registered(task_id: str, due: date | None, plan: str = "plan-1") -> TaskRegistered:
    return TaskRegistered(
        task_id=task_id,
        plan_id=plan,
        plan_title="稳就业行动方案",
        measure_id="m-1",
        title="开展劳务品牌调查摸底",
        lead_department_ids=("hrss",),
        supporting_department_ids=("edu",),
        due_on=due,
    )


async def dispatch(w: Watcher, task_id: str, due: date, plan: str = "plan-1") -> None:
    await w.send(registered(task_id, due, plan))
    await w.send(TaskDispatched(task_id=task_id, due_on=due))


def summary(by_day: dict[date, list]) -> list[tuple[date, str, int]]:  # type: ignore[type-arg]
    out = []
    for day, messages in by_day.items():
        for m in messages:
            if isinstance(m, ReminderDue):
                out.append((day, m.kind.value, m.working_days_left))
            elif isinstance(m, TaskOverdue):
                out.append((day, "overdue", m.working_days_late))
            elif isinstance(m, EscalationRaised):
                out.append((day, f"escalation_{m.level.value}", m.working_days_late))
    return sorted(out)


async def test_friday_after_national_day_gets_reminders_on_working_days(watcher: Watcher) -> None:
    task = "t-national-day"
    await watcher.send(registered(task, FRIDAY_AFTER_NATIONAL_DAY))
    assert await watcher.pending(task) == []  # a draft is not reminded
    await watcher.send(TaskDispatched(task_id=task, due_on=FRIDAY_AFTER_NATIONAL_DAY))
    got = summary(await watcher.run_days(date(2025, 9, 20), date(2025, 10, 17)))
    assert got == [
        (date(2025, 9, 26), "before_due", 5),
        (date(2025, 9, 29), "before_due", 3),
        (date(2025, 9, 29), "escalation_blue", 0),
        (date(2025, 10, 9), "before_due", 1),
        (date(2025, 10, 10), "due_today", 0),
        (date(2025, 10, 11), "overdue", 1),  # a Saturday, but a 调休 working day
        (date(2025, 10, 14), "escalation_orange", 3),
        (date(2025, 10, 14), "overdue", 3),
        (date(2025, 10, 16), "overdue", 5),
    ]
    # Cross-check against chinese_calendar itself: every one fell on a working day, and the
    # holiday days between 30 Sep and 9 Oct were skipped.
    assert all(chinese_calendar.is_workday(day) for day, _, _ in got)
    assert not chinese_calendar.is_workday(date(2025, 10, 8))
    _, messages = zip(*await watcher.events(), strict=True)
    assert all(m.late is False for m in messages)
    # Each reminder carries both departments and its own dedupe key.
    assert all(m.department_ids == ("hrss", "edu") for m in messages)
    assert len({m.dedupe_key for m in messages}) == len(messages)


async def test_extension_moves_the_timers_and_leaves_nothing_stale(watcher: Watcher) -> None:
    task = "t-extended"
    await dispatch(watcher, task, FRIDAY_AFTER_NATIONAL_DAY)
    before = summary(await watcher.run_days(date(2025, 9, 20), date(2025, 9, 27)))
    assert before == [(date(2025, 9, 26), "before_due", 5)]
    new_due = date(2025, 10, 31)
    await watcher.send(
        ExtensionDecided(task_id=task, request_id="x-1", decision=Decision.APPROVED, due_on=new_due)
    )
    pending = await watcher.pending(task)
    assert pending and {t.due_on for t in pending} == {new_due}
    got = summary(await watcher.run_days(date(2025, 9, 28), date(2025, 11, 3)))
    assert got == [
        (date(2025, 10, 24), "before_due", 5),
        (date(2025, 10, 28), "before_due", 3),
        (date(2025, 10, 28), "escalation_blue", 0),
        (date(2025, 10, 30), "before_due", 1),
        (date(2025, 10, 31), "due_today", 0),
        (date(2025, 11, 3), "overdue", 1),
    ]
    # A rejected extension changes nothing; a due-date change moves them again.
    await watcher.send(
        ExtensionDecided(task_id=task, request_id="x-2", decision=Decision.REJECTED, due_on=None)
    )
    assert {t.due_on for t in await watcher.pending(task)} == {new_due}
    await watcher.send(
        DueDateChanged(
            task_id=task,
            original_due_on=FRIDAY_AFTER_NATIONAL_DAY,
            previous_due_on=new_due,
            due_on=date(2025, 11, 28),
        )
    )
    assert {t.due_on for t in await watcher.pending(task)} == {date(2025, 11, 28)}


async def test_closing_cancels_and_completion_cancels(watcher: Watcher) -> None:
    await dispatch(watcher, "t-closed", FRIDAY_AFTER_NATIONAL_DAY)
    await dispatch(watcher, "t-done", FRIDAY_AFTER_NATIONAL_DAY)
    await dispatch(watcher, "t-open", FRIDAY_AFTER_NATIONAL_DAY)
    await watcher.run_days(date(2025, 9, 26), date(2025, 9, 26))
    await watcher.send(TaskClosed(task_id="t-closed"))
    await watcher.send(
        TaskStatusChanged(
            task_id="t-done",
            from_status=TaskStatus.COMPLETION_REQUESTED,
            to_status=TaskStatus.COMPLETED,
        )
    )
    assert await watcher.pending("t-closed") == [] and await watcher.pending("t-done") == []
    later = await watcher.run_days(date(2025, 9, 27), date(2025, 10, 20))
    tasks = {m.task_id for messages in later.values() for m in messages}
    assert tasks == {"t-open"}
    # A returned completion reopens the task: its timers come back.
    await watcher.send(
        TaskStatusChanged(
            task_id="t-done", from_status=TaskStatus.COMPLETED, to_status=TaskStatus.RETURNED
        )
    )
    assert await watcher.pending("t-done")


async def test_downtime_fires_missed_timers_once_marked_late(watcher: Watcher) -> None:
    watcher.clock.set(local(date(2025, 10, 9), time(8, 0)))
    await dispatch(watcher, "t-down", FRIDAY_AFTER_NATIONAL_DAY)
    assert await watcher.fire() == 1  # 蓝 was reached before the task was known: now, not late
    watcher.clock.set(local(date(2025, 10, 9), time(8, 59)))
    assert await watcher.fire() == 0
    # The watcher was down from 08:59 to 10:00: the 09:00 reminder fires once, late, even
    # though another event about the task is handled before the timer loop gets to it.
    watcher.clock.set(local(date(2025, 10, 9), time(10, 0)))
    await watcher.send(
        TaskStatusChanged(
            task_id="t-down", from_status=TaskStatus.DISPATCHED, to_status=TaskStatus.ACKNOWLEDGED
        )
    )
    assert await watcher.fire() == 1
    assert await watcher.fire() == 0
    [(_, blue), (envelope, message)] = await watcher.events()
    assert isinstance(blue, EscalationRaised) and blue.late is False
    assert blue.scheduled_for == local(date(2025, 10, 9), time(8, 0))
    assert isinstance(message, ReminderDue) and message.late is True
    assert message.scheduled_for == local(date(2025, 10, 9), time(9, 0))
    assert envelope.occurred_at == local(date(2025, 10, 9), time(10, 0))
    # Redelivering the task's events (same event ids) does not plan anything again.
    watcher.clock.advance(timedelta(minutes=1))
    assert await watcher.fire() == 0


async def test_redelivered_event_is_handled_once(watcher: Watcher) -> None:
    envelope = await watcher.send(registered("t-dup", FRIDAY_AFTER_NATIONAL_DAY))
    await watcher.send(TaskDispatched(task_id="t-dup", due_on=FRIDAY_AFTER_NATIONAL_DAY))
    first = [t.dedupe_key for t in await watcher.pending("t-dup")]
    # The same TaskRegistered again (a redelivery) must not put the task back to draft.
    await watcher.send(envelope.open(), envelope)
    assert [t.dedupe_key for t in await watcher.pending("t-dup")] == first != []


async def test_ignored_orange_turns_red_and_an_answered_one_does_not(watcher: Watcher) -> None:
    await dispatch(watcher, "t-ignored", FRIDAY_AFTER_NATIONAL_DAY)
    await dispatch(watcher, "t-answered", FRIDAY_AFTER_NATIONAL_DAY)
    await watcher.run_days(date(2025, 10, 13), date(2025, 10, 14))  # 橙 on 14 Oct
    watcher.clock.set(local(date(2025, 10, 15), time(15, 0)))
    await watcher.send(
        ProgressReported(task_id="t-answered", report_id="r-1", department_id="hrss", percent=60)
    )
    got = await watcher.run_days(date(2025, 10, 15), date(2025, 10, 22))
    reds = [
        (day, m.task_id, m.reason)
        for day, messages in got.items()
        for m in messages
        if isinstance(m, EscalationRaised) and m.level.value == "red"
    ]
    # 5 working days after the 橙 (14 Oct): 21 Oct; only the ignored one.
    assert [(d, t) for d, t, _ in reds] == [(date(2025, 10, 21), "t-ignored")]
    assert "未报送进展" in reds[0][2]
    # The overdue-by-10 红 on 23 Oct is not raised twice for the ignored task.
    later = await watcher.run_days(date(2025, 10, 23), date(2025, 10, 23))
    reds_later = [
        m.task_id
        for m in later.get(date(2025, 10, 23), [])
        if isinstance(m, EscalationRaised) and m.level.value == "red"
    ]
    assert reds_later == ["t-answered"]


@pytest.mark.parametrize("replicas", [2])
async def test_two_replicas_fire_each_timer_exactly_once(
    watcher: Watcher, db_url: str, replicas: int
) -> None:
    tasks = [f"t-rep-{i}" for i in range(120)]
    for task in tasks:
        await dispatch(watcher, task, FRIDAY_AFTER_NATIONAL_DAY)
    watcher.clock.set(local(date(2025, 10, 9), time(9, 30)))
    schedulers = []
    for _ in range(replicas):
        ctx = WatcherContext.from_settings(
            settings_for(db_url, scheduler_batch_size=7), clock=watcher.clock
        )
        schedulers.append(Scheduler(ctx))

    async def drain(s: Scheduler) -> int:
        fired = 0
        while n := await s.fire_due():
            fired += n
            await asyncio.sleep(0)
        return fired

    counts = await asyncio.gather(*(drain(s) for s in schedulers))
    for s in schedulers:
        await s.ctx.engine.dispose()
    assert sum(counts) == len(tasks) * 4  # 5, 3 and 1 working days before, and 蓝
    keys = Counter(m.dedupe_key for _, m in await watcher.events())
    assert len(keys) == len(tasks) * 4 and set(keys.values()) == {1}


async def test_replicas_split_the_work_when_both_are_busy(watcher: Watcher, db_url: str) -> None:
    """Many timers, two schedulers on separate connections: no key twice, none lost."""
    for i in range(150):
        await dispatch(watcher, f"t-busy-{uuid.uuid4().hex[:6]}-{i}", date(2025, 9, 30))
    watcher.clock.set(local(date(2025, 10, 20)))
    contexts = [
        WatcherContext.from_settings(
            settings_for(db_url, scheduler_batch_size=25), clock=watcher.clock
        )
        for _ in range(2)
    ]
    expected = len(await _all_due(watcher))
    assert expected >= 150 * 5  # 5, 3, 1 before, due day, 蓝, 橙, overdue 1 and 3 ...
    stop = asyncio.Event()
    runs = [asyncio.create_task(Scheduler(c).run(stop)) for c in contexts]

    async def all_fired() -> bool:
        return len(await watcher.events()) >= expected

    await eventually(all_fired, timeout=60, what="every due timer fired")
    stop.set()
    await asyncio.gather(*runs)
    for c in contexts:
        await c.engine.dispose()
    keys = Counter(m.dedupe_key for _, m in await watcher.events())
    # Each timer once; the overdue chain adds follow-ups, so at least the timers due at start.
    assert set(keys.values()) == {1} and len(keys) >= expected


async def _all_due(w: Watcher) -> list[object]:
    from sqlalchemy import select

    from deadline_watcher.adapters.tables import timers

    async with w.ctx.engine.connect() as conn:
        rows = await conn.execute(
            select(timers.c.id).where(
                timers.c.fired_at.is_(None), timers.c.fire_at <= w.clock.now()
            )
        )
        return list(rows)


async def test_an_unanswered_orange_notice_turns_red(watcher: Watcher) -> None:
    for task in ("t-notice-ignored", "t-notice-answered"):
        await dispatch(watcher, task, date(2025, 12, 31))
        await watcher.send(
            SupervisionNoticeIssued(
                task_id=task,
                notice_id=f"n-{task}",
                department_id="hrss",
                level=EscalationLevel.ORANGE,
                requirements="三个工作日内书面说明",
                reply_due_on=date(2025, 10, 10),
            )
        )
    await watcher.send(
        SupervisionNoticeAnswered(
            task_id="t-notice-answered", notice_id="n-1", department_id="hrss", answer="已整改"
        )
    )
    got = await watcher.run_days(date(2025, 10, 9), date(2025, 10, 14))
    reds = [
        (day, m.task_id)
        for day, messages in got.items()
        for m in messages
        if isinstance(m, EscalationRaised) and m.level is EscalationLevel.RED
    ]
    assert reds == [(date(2025, 10, 11), "t-notice-ignored")]  # the working day after the 10th


async def test_a_plan_policy_overrides_the_default(db_url: str, watcher: Watcher) -> None:
    settings = settings_for(
        db_url,
        plan_policies={"plan-urgent": {"before_due": [2], "blue_before": None}},
    )
    ctx = WatcherContext.from_settings(settings, clock=watcher.clock)
    urgent = Watcher(ctx, watcher.clock, Scheduler(ctx))
    await dispatch(urgent, "t-urgent", FRIDAY_AFTER_NATIONAL_DAY, plan="plan-urgent")
    await dispatch(urgent, "t-normal", FRIDAY_AFTER_NATIONAL_DAY)
    got = await urgent.run_days(date(2025, 9, 20), date(2025, 10, 9))
    before = sorted(
        (m.task_id, day)
        for day, messages in got.items()
        for m in messages
        if isinstance(m, ReminderDue)
    )
    assert before == [
        ("t-normal", date(2025, 9, 26)),
        ("t-normal", date(2025, 9, 29)),
        ("t-normal", date(2025, 10, 9)),
        ("t-urgent", date(2025, 9, 30)),  # 2 working days before, across the holiday
    ]
    await ctx.engine.dispose()


async def test_migrations_match_the_tables(db_url: str, watcher: Watcher) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from deadline_watcher.adapters.migrations import VERSION_TABLE
    from deadline_watcher.adapters.tables import metadata

    def diff(sync_conn: object) -> list[object]:
        context = MigrationContext.configure(
            sync_conn,  # type: ignore[arg-type]
            opts={"version_table": VERSION_TABLE},
        )
        return list(compare_metadata(context, metadata))

    async with watcher.ctx.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_a_timer_that_cannot_become_an_event_fails_alone(watcher: Watcher) -> None:
    from sqlalchemy import select, update

    from deadline_watcher.adapters.tables import tasks, timers

    await dispatch(watcher, "t-good", FRIDAY_AFTER_NATIONAL_DAY)
    await dispatch(watcher, "t-bad", FRIDAY_AFTER_NATIONAL_DAY)
    async with watcher.ctx.engine.begin() as conn:  # no department: no valid reminder
        await conn.execute(
            update(tasks)
            .where(tasks.c.task_id == "t-bad")
            .values(lead_department_ids=[], supporting_department_ids=[])
        )
    watcher.clock.set(local(date(2025, 9, 26)))
    assert await watcher.fire() == 2
    assert await watcher.fire() == 0  # not retried forever
    assert [m.task_id for _, m in await watcher.events()] == ["t-good"]
    async with watcher.ctx.engine.connect() as conn:
        outcomes = dict(
            (await conn.execute(
                select(timers.c.task_id, timers.c.outcome).where(timers.c.fired_at.is_not(None))
            )).all()
        )  # fmt: skip
    assert outcomes == {"t-good": "sent", "t-bad": "failed"}
