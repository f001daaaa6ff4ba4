"""The working-day calendar, the policy settings and the timer plan (no I/O)."""

from __future__ import annotations

import json
import logging
from datetime import date, time
from pathlib import Path

import chinese_calendar
import pytest

from deadline_watcher.domain.calendar import CalendarError, WorkingCalendar
from deadline_watcher.domain.policy import PolicyBook, PolicyError, ReminderPolicy
from deadline_watcher.domain.timers import (
    FireTime,
    TimerKind,
    day_in_period,
    first_dispatch_period,
    monthly_dispatch_timer,
    next_period,
    plan_task_timers,
    previous_period,
    working_day_in_period,
)
from deadline_watcher.settings import Settings

from .conftest import local

pytestmark = pytest.mark.unit

CAL = WorkingCalendar()
FIRE = FireTime(time(9, 0), local(date(2025, 1, 1)).tzinfo)  # type: ignore[arg-type]


def _nth_workday_before(day: date, n: int) -> date:
    """Independent check: walk back over chinese_calendar's own answer."""
    found = 0
    while found < n:
        day = date.fromordinal(day.toordinal() - 1)
        found += chinese_calendar.is_workday(day)
    return day


def test_national_day_2025_and_its_make_up_working_weekends() -> None:
    friday = date(2025, 10, 10)
    assert CAL.working_days_before(friday, 1) == date(2025, 10, 9)  # across nothing
    assert CAL.working_days_before(date(2025, 10, 9), 1) == date(2025, 9, 30)  # across 1-8 Oct
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, 调休 working day
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, 调休 working day
    assert not CAL.is_working_day(date(2025, 10, 6))  # Monday, Mid-Autumn
    for n in range(1, 12):
        assert CAL.working_days_before(friday, n) == _nth_workday_before(friday, n)
    assert CAL.working_days_after(friday, 1) == date(2025, 10, 11)
    assert CAL.working_days_between(date(2025, 9, 26), friday) == 5


def test_spring_festival_2026() -> None:
    assert CAL.working_days_after(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday 调休
    assert CAL.working_days_after(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert CAL.working_days_before(date(2026, 2, 27), 4) == date(2026, 2, 14)


def test_override_file_changes_days_both_ways(tmp_path: Path) -> None:
    f = tmp_path / "cal.json"
    f.write_text(json.dumps({"working_days": ["2025-10-08"], "days_off": ["2025-10-09"]}))
    cal = WorkingCalendar.from_override_file(f)
    assert cal.is_working_day(date(2025, 10, 8)) and not cal.is_working_day(date(2025, 10, 9))
    assert cal.working_days_before(date(2025, 10, 10), 1) == date(2025, 10, 8)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "不是有效的 JSON"),
        ('{"workdays": []}', "只能包含"),
        ('{"days_off": ["2025-13-01"]}', "日期格式不正确"),
        ('{"days_off": "2025-10-01"}', "必须是列表"),
        ('{"days_off": ["2025-10-01"], "working_days": ["2025-10-01"]}', "既是工作日又是休息日"),
    ],
)
def test_bad_override_file_is_refused_with_a_reason(
    tmp_path: Path, content: str, message: str
) -> None:
    f = tmp_path / "cal.json"
    f.write_text(content)
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar.from_override_file(f)
    with pytest.raises(CalendarError, match="找不到"):
        WorkingCalendar.from_override_file(tmp_path / "missing.json")


def test_unknown_years_fall_back_to_weekends_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    year = 2035
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(year, 1, 1))
    cal = WorkingCalendar()
    with caplog.at_level(logging.WARNING):
        assert cal.is_working_day(date(year, 1, 1))  # a Monday; 元旦 unknown to the package
        assert not cal.is_working_day(date(year, 1, 6))  # Saturday
        assert cal.working_days_after(date(year, 1, 5), 1) == date(year, 1, 8)
    warnings = [r for r in caplog.records if str(year) in r.getMessage()]
    assert len(warnings) == 1


def test_policy_overrides_per_plan_and_clear_errors() -> None:
    book = PolicyBook({"overdue_every": 3}, {"plan-x": {"before_due": [10, 5]}})
    assert book.default.overdue_every == 3 and book.default.before_due == (5, 3, 1)
    assert book.for_plan("plan-x").before_due == (10, 5)
    assert book.for_plan("plan-x").overdue_every == 3
    assert book.for_plan("other") is book.default
    with pytest.raises(PolicyError, match=r"方案 plan-y 的提醒策略无效.*red_after"):
        PolicyBook({}, {"plan-y": {"red_after": 2}})
    with pytest.raises(PolicyError, match=r"默认提醒策略无效.*no_such_field"):
        PolicyBook({"no_such_field": 1})
    with pytest.raises(ValueError, match="不能重复"):
        ReminderPolicy(before_due=(3, 3))


def test_settings_refuse_bad_policy_and_time_zone() -> None:
    with pytest.raises(ValueError, match="提醒策略无效"):
        Settings(reminder_policy={"overdue_every": 0})
    with pytest.raises(ValueError, match="DUBAN_TIMEZONE"):
        Settings(timezone="Mars/Olympus")
    s = Settings(plan_policies={"p": {"orange_after": 2}})
    assert s.policy_book().for_plan("p").orange_after == 2


def test_plan_for_a_friday_after_national_day() -> None:
    due = date(2025, 10, 10)
    specs = plan_task_timers("t1", due, ReminderPolicy(), CAL, FIRE, local(date(2025, 9, 1)))
    days = {(s.kind, s.step): FIRE.local_date(s.fire_at) for s in specs}
    assert days == {
        (TimerKind.BEFORE_DUE, 5): date(2025, 9, 26),
        (TimerKind.BEFORE_DUE, 3): date(2025, 9, 29),
        (TimerKind.BEFORE_DUE, 1): date(2025, 10, 9),
        (TimerKind.DUE_TODAY, 0): date(2025, 10, 10),
        (TimerKind.OVERDUE, 1): date(2025, 10, 11),
        (TimerKind.BLUE, None): date(2025, 9, 29),
        (TimerKind.ORANGE, None): date(2025, 10, 14),
        (TimerKind.RED, None): date(2025, 10, 23),  # 11, 13-17, 20-23 Oct
    }
    assert all(s.fire_at.astimezone(FIRE.zone).time() == time(9, 0) for s in specs)
    assert len({s.dedupe_key for s in specs}) == len(specs)


def test_plan_seen_late_keeps_only_what_still_matters() -> None:
    due = date(2025, 10, 10)
    now = local(date(2025, 10, 15), time(12, 0))  # overdue by 4 working days, 橙 reached
    specs = plan_task_timers("t1", due, ReminderPolicy(), CAL, FIRE, now)
    kinds = sorted((s.kind.value, s.step or 0) for s in specs)
    # current overdue step (3, fires now), the next one (5), 橙 now, 红 later; no reminders
    assert kinds == [
        ("escalation_orange", 0),
        ("escalation_red", 0),
        ("overdue", 3),
        ("overdue", 5),
    ]
    already = plan_task_timers("t1", due, ReminderPolicy(), CAL, FIRE, now, raised_level="orange")
    assert {s.kind for s in already} == {TimerKind.OVERDUE, TimerKind.RED}


def test_periods() -> None:
    assert next_period("2025-12") == "2026-01" and previous_period("2026-01") == "2025-12"
    assert day_in_period("2026-02", 30) == date(2026, 2, 28)
    assert first_dispatch_period(date(2025, 10, 20), 20, CAL) == "2025-10"
    assert first_dispatch_period(date(2025, 10, 21), 20, CAL) == "2025-11"
    # 2026-06-20 is a Saturday: June's dispatch is on Monday the 22nd, still to come on the 21st.
    assert first_dispatch_period(date(2026, 6, 21), 20, CAL) == "2026-06"
    assert first_dispatch_period(date(2026, 6, 23), 20, CAL) == "2026-07"


@pytest.mark.parametrize(
    ("period", "day", "expected", "why"),
    [
        ("2026-06", 20, date(2026, 6, 22), "a Saturday moves to Monday"),
        ("2026-06", 28, date(2026, 6, 29), "a Sunday moves to Monday"),
        ("2026-11", 28, date(2026, 11, 30), "a Saturday moves to Monday"),
        ("2026-02", 20, date(2026, 2, 24), "Spring Festival (2-15..2-23) moves to the 24th"),
        ("2026-02", 28, date(2026, 2, 28), "a 调休 make-up Saturday is a working day"),
        ("2026-09", 20, date(2026, 9, 20), "a 调休 make-up Sunday is a working day"),
        ("2026-10", 5, date(2026, 10, 8), "National Day holidays move to the 8th"),
        ("2026-01", 28, date(2026, 1, 28), "a Wednesday stays"),
    ],
)
def test_monthly_days_fall_on_working_days(period: str, day: int, expected: date, why: str) -> None:
    assert working_day_in_period(period, day, CAL) == expected, why
    timer = monthly_dispatch_timer(period, day, FIRE, CAL)
    assert timer.fire_at == FIRE.on(expected) and timer.period == period
