"""Working days in mainland China: statutory holidays and 调休 make-up working weekends.

The source is the `chinese-calendar` package (the State Council's yearly notices). A local
override file can add working days or days off (e.g. a provincial holiday, a notice published
after the package release). For years the package does not know yet, the calendar falls back
to plain weekends and logs a warning once per year, so deadlines keep working but someone
knows to update the package.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

log = logging.getLogger(__name__)

# Enough to cross the longest run of days off (Spring Festival plus weekends) many times over.
_MAX_SCAN_DAYS = 3660


class CalendarError(ValueError):
    """The override file cannot be used. The text says why, in words for people."""


@dataclass
class WorkingCalendar:
    extra_working_days: frozenset[date] = frozenset()
    extra_days_off: frozenset[date] = frozenset()
    _warned_years: set[int] = field(default_factory=set, repr=False)
    # chinese-calendar validates every date it is asked about, which is slow on a hot path.
    _known: dict[date, bool] = field(default_factory=dict, repr=False)
    _between: dict[tuple[date, date], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        both = self.extra_working_days & self.extra_days_off
        if both:
            days = "、".join(sorted(d.isoformat() for d in both))
            raise CalendarError(f"日历覆盖文件中以下日期既是工作日又是休息日：{days}")

    @classmethod
    def from_override_file(cls, path: str | Path | None) -> WorkingCalendar:
        """Load `{"working_days": [...], "days_off": [...]}` (ISO dates); None: no overrides."""
        if not path:
            return cls()
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CalendarError(f"找不到日历覆盖文件：{p}") from None
        except json.JSONDecodeError as exc:
            raise CalendarError(f"日历覆盖文件不是有效的 JSON（{p}）：{exc}") from exc
        if not isinstance(data, dict) or set(data) - {"working_days", "days_off", "note"}:
            raise CalendarError(
                f"日历覆盖文件只能包含 working_days、days_off 和 note 三个键（{p}）"
            )
        return cls(
            extra_working_days=frozenset(_parse_dates(data.get("working_days", []), p)),
            extra_days_off=frozenset(_parse_dates(data.get("days_off", []), p)),
        )

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._look_up(day)
        return known

    def _look_up(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning(
                    "chinese-calendar has no data for %s: counting weekends only; "
                    "update the package or add the year's holidays to the override file",
                    day.year,
                )
            return day.weekday() < 5

    def on_or_after(self, day: date) -> date:
        """`day` if it is a working day, else the next one: a date that falls on a weekend or a
        holiday moves forward (and a 调休 make-up Saturday stays where it is)."""
        return day if self.is_working_day(day) else self.working_days_after(day, 1)

    def working_days_before(self, day: date, n: int) -> date:
        """The n-th working day strictly before `day` (n=0: `day` itself)."""
        return self._step(day, n, -1)

    def working_days_after(self, day: date, n: int) -> date:
        """The n-th working day strictly after `day` (n=0: `day` itself)."""
        return self._step(day, n, +1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        key = (start, end)
        counted = self._between.get(key)
        if counted is None:
            if len(self._between) > 10_000:
                self._between.clear()
            counted = self._between[key] = self._count_between(start, end)
        return counted

    def _count_between(self, start: date, end: date) -> int:
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def _step(self, day: date, n: int, direction: int) -> date:
        if n < 0:
            raise ValueError("n must not be negative")
        found = 0
        for _ in range(_MAX_SCAN_DAYS):
            if found == n:
                return day
            day += timedelta(days=direction)
            found += self.is_working_day(day)
        raise CalendarError(f"{_MAX_SCAN_DAYS} 天内找不到第 {n} 个工作日，请检查日历覆盖文件")


@functools.cache
def china_calendar() -> WorkingCalendar:
    """The calendar without local overrides, shared by a process (it caches its look-ups): the
    ledger counts days late with it, as the watcher counts them for its reminders."""
    return WorkingCalendar()


def _parse_dates(values: Iterable[object], source: Path) -> list[date]:
    if isinstance(values, str) or not isinstance(values, list):
        raise CalendarError(f"日历覆盖文件中的日期必须是列表（{source}）")
    days = []
    for value in values:
        try:
            days.append(date.fromisoformat(str(value)))
        except ValueError:
            raise CalendarError(
                f"日历覆盖文件中的日期格式不正确：{value!r}，应为 YYYY-MM-DD（{source}）"
            ) from None
    return days
