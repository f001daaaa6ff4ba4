"""Which timers a task or a monthly period needs, and when each fires.

A timer is identified by its dedupe key (per task or department, rule and window); the store
keeps one row per key forever, so a reminder that fired is never planned again, and a changed
due date makes new keys (the old, unfired ones are deleted as stale).
"""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from deadline_watcher.domain.calendar import WorkingCalendar
from deadline_watcher.domain.policy import ReminderPolicy

LEVELS = ("blue", "orange", "red")


class TimerKind(StrEnum):
    BEFORE_DUE = "before_due"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    BLUE = "escalation_blue"
    ORANGE = "escalation_orange"
    RED = "escalation_red"
    RED_CHECK = "red_check"  # 红 if the 橙 was ignored
    MONTHLY_DISPATCH = "monthly_dispatch"
    REPORT_REMINDER = "report_reminder"
    REPORT_CHECK = "report_check"

    @property
    def level(self) -> str | None:
        return {"escalation_blue": "blue", "escalation_orange": "orange"}.get(
            self.value, "red" if self in (TimerKind.RED, TimerKind.RED_CHECK) else None
        )


@dataclass(frozen=True)
class TimerSpec:
    kind: TimerKind
    dedupe_key: str
    fire_at: datetime
    task_id: str | None = None
    department_id: str | None = None
    period: str | None = None
    due_on: date | None = None
    step: int | None = None  # working days left (before_due) or late (overdue)
    milestone: str | None = None  # the milestone's key when the deadline is a 时间节点


@dataclass(frozen=True)
class FireTime:
    """Timers fire at one local time of day, e.g. 09:00 in Asia/Shanghai."""

    at: time
    zone: ZoneInfo

    def on(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=self.zone)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


def level_rank(level: str | None) -> int:
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def plan_task_timers(
    task_id: str,
    due_on: date,
    policy: ReminderPolicy,
    cal: WorkingCalendar,
    fire: FireTime,
    now: datetime,
    raised_level: str | None = None,
    milestone: str | None = None,
) -> list[TimerSpec]:
    """Timers for an open task with a due date, as seen at `now`; with `milestone`, for that
    milestone (时间节点) of the task: the same reminders and ladder, keys of their own.

    Reminders already in the past are dropped (nobody wants last week's "3 days left"); the
    current overdue step and the highest escalation level already reached are kept, so they
    fire at once; everything later is kept as it is.
    """

    def spec(kind: TimerKind, key: str, day: date, step: int | None = None) -> TimerSpec:
        return TimerSpec(
            kind, key, fire.on(day), task_id=task_id, due_on=due_on, step=step, milestone=milestone
        )

    due = due_on.isoformat()
    scope = key_scope(task_id, milestone)
    reminders = [
        spec(TimerKind.BEFORE_DUE, f"{scope}:before_due:{n}:{due}", _before(cal, due_on, n), n)
        for n in sorted(policy.before_due, reverse=True)
    ]
    if policy.remind_on_due_day and cal.is_working_day(due_on):
        reminders.append(spec(TimerKind.DUE_TODAY, f"{scope}:due_today:{due}", due_on, 0))
    timers = [t for t in reminders if t.fire_at >= now]

    late = current_overdue_step(due_on, policy, cal, fire, now)
    timers.append(overdue_timer(task_id, due_on, late, cal, fire, milestone))
    if timers[-1].fire_at <= now:  # overdue already: the chain continues from the next step
        step = late + policy.overdue_every
        timers.append(overdue_timer(task_id, due_on, step, cal, fire, milestone))

    ladder: list[tuple[TimerKind, date]] = []
    if policy.blue_before is not None:
        ladder.append((TimerKind.BLUE, _before(cal, due_on, policy.blue_before)))
    ladder.append((TimerKind.ORANGE, cal.working_days_after(due_on, policy.orange_after)))
    ladder.append((TimerKind.RED, cal.working_days_after(due_on, policy.red_after)))
    reached = [(k, d) for k, d in ladder if fire.on(d) < now]
    for kind, day in ladder:
        if level_rank(kind.level) <= level_rank(raised_level):
            continue
        if fire.on(day) < now and (kind, day) != reached[-1]:
            continue  # a higher level is already due: skip straight to it
        timers.append(spec(kind, f"{scope}:escalation:{kind.level}:{due}", day))
    # Kept from the past: due now, as they were only just planned (not late).
    return [replace(t, fire_at=max(t.fire_at, now)) for t in timers]


def current_overdue_step(
    due_on: date, policy: ReminderPolicy, cal: WorkingCalendar, fire: FireTime, now: datetime
) -> int:
    """The latest overdue step (1, 1+N, 1+2N, ...) already due at `now`, else the first."""
    late = 1
    while fire.on(cal.working_days_after(due_on, late + policy.overdue_every)) <= now:
        late += policy.overdue_every
    return late


def key_scope(task_id: str, milestone: str | None) -> str:
    """Timer keys of a task's own deadline start with its id; a milestone's add the key."""
    return f"{task_id}:milestone:{milestone}" if milestone else task_id


def overdue_timer(
    task_id: str,
    due_on: date,
    late: int,
    cal: WorkingCalendar,
    fire: FireTime,
    milestone: str | None = None,
) -> TimerSpec:
    return TimerSpec(
        TimerKind.OVERDUE,
        f"{key_scope(task_id, milestone)}:overdue:{late}:{due_on.isoformat()}",
        fire.on(cal.working_days_after(due_on, late)),
        task_id=task_id,
        due_on=due_on,
        step=late,
        milestone=milestone,
    )


def red_check_timer(
    task_id: str, due_on: date, orange_day: date, wait: int, cal: WorkingCalendar, fire: FireTime
) -> TimerSpec:
    return TimerSpec(
        TimerKind.RED_CHECK,
        f"{task_id}:red_check:{due_on.isoformat()}",
        fire.on(cal.working_days_after(orange_day, wait)),
        task_id=task_id,
        due_on=due_on,
    )


def _before(cal: WorkingCalendar, due_on: date, n: int) -> date:
    return cal.working_days_before(due_on, n) if n else due_on


# --- monthly dispatch (月度调度) -------------------------------------------------------------


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(period: str) -> tuple[int, int]:
    year, month = (int(p) for p in period.split("-"))
    if not 1 <= month <= 12:
        raise ValueError(f"无效的月份：{period}")
    return year, month


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - (month == 1):04d}-{(month - 2) % 12 + 1:02d}"


def day_in_period(period: str, day: int) -> date:
    """That day of the period's month, clamped to the month's last day (e.g. 31 → 28 Feb)."""
    year, month = parse_period(period)
    return date(year, month, min(day, gregorian.monthrange(year, month)[1]))


def working_day_in_period(period: str, day: int, cal: WorkingCalendar) -> date:
    """The configured day of the month (the 20th, the 28th), moved forward to a working day when
    it falls on a weekend or holiday: offices do not dispatch or collect reports on days off."""
    return cal.on_or_after(day_in_period(period, day))


def monthly_dispatch_timer(
    period: str, dispatch_day: int, fire: FireTime, cal: WorkingCalendar
) -> TimerSpec:
    return TimerSpec(
        TimerKind.MONTHLY_DISPATCH,
        f"monthly_dispatch:{period}",
        fire.on(working_day_in_period(period, dispatch_day, cal)),
        period=period,
    )


def first_dispatch_period(today: date, dispatch_day: int, cal: WorkingCalendar) -> str:
    """This month's dispatch if its (working) day has not passed yet, else next month's."""
    period = period_of(today)
    if today <= working_day_in_period(period, dispatch_day, cal):
        return period
    return next_period(period)


def report_timers(
    department_id: str,
    period: str,
    report_due_on: date,
    remind_before: int,
    cal: WorkingCalendar,
    fire: FireTime,
) -> list[TimerSpec]:
    """The reminder before a department's report deadline and the check the day after it."""
    common = {"department_id": department_id, "period": period, "due_on": report_due_on}
    return [
        TimerSpec(
            TimerKind.REPORT_REMINDER,
            f"{department_id}:report_reminder:{period}",
            fire.on(_before(cal, report_due_on, remind_before)),
            step=remind_before,
            **common,  # type: ignore[arg-type]
        ),
        TimerSpec(
            TimerKind.REPORT_CHECK,
            f"{department_id}:report_check:{period}",
            fire.on(cal.working_days_after(report_due_on, 1)),
            **common,  # type: ignore[arg-type]
        ),
    ]
