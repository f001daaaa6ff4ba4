"""Compute the monthly scheduling report in one pass over the plan's tasks."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.domain.coverage import CoverageSummary
from task_ledger.domain.reports.facts import IndicatorFacts, MonthActivity, TaskFacts

TREND_MONTHS = 6
SCORE_RULE = (
    "综合得分 = 平均进度×50% + 按期办结率×30% + (1−逾期任务占比)×20%，"
    "每缺报一次月度进展扣5分；仅统计作为牵头单位的任务；同一层级（省直、市、县/区…）的单位之间排名。"
)
RATE_RULE = (
    "按期办结率 = 按期办结任务数 ÷ 已办结任务数（只看已办结的任务）；尚未办结而已过时限的任务"
    "单独计为“逾期未办结”。逾期天数按工作日计（法定节假日、调休按国务院公布的安排）。"
    "分解到下级的任务只统计一次（计入上级任务），下级任务列在其下。"
)
LEVEL_ORDER = ("national", "province", "city", "county", "town", "")
# Days between a due date and a later day; the ledger passes its working-day calendar.
DayCounter = Callable[[date, date], int]


def calendar_days(start: date, end: date) -> int:
    return (end - start).days


def month_bounds(month: str) -> tuple[date, date]:
    """'2026-03' -> (2026-03-01, 2026-03-31). Raises ValueError with a Chinese message."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError:
        raise ValueError(f"月份格式应为 YYYY-MM：{month!r}") from None
    return first, date(year, mon, calendar.monthrange(year, mon)[1])


def previous_months(month: str, n: int) -> list[str]:
    first, _ = month_bounds(month)
    out = []
    y, m = first.year, first.month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


@dataclass
class Tally:
    tasks: int = 0
    completed: int = 0
    completed_on_time: int = 0
    overdue: int = 0
    progress_sum: int = 0
    lights: Counter[Light] = field(default_factory=Counter)

    @staticmethod
    def count(
        tallies: Iterable[Tally], t: TaskFacts, done: bool, on_time: bool, overdue: bool
    ) -> None:
        """Count a task in each of `tallies` (the plan's, its measure's, its departments'):
        `done` completed by the report date, `on_time` done by its due date. One call per
        task, not per tally: 40,000 method calls took a tenth of the report's time."""
        progress, lamp = t.progress, t.light
        for tally in tallies:
            tally.tasks += 1
            tally.progress_sum += progress
            tally.lights[lamp] += 1
            tally.completed += done
            tally.completed_on_time += on_time
            tally.overdue += overdue

    @property
    def avg_progress(self) -> float:
        return self.progress_sum / self.tasks if self.tasks else 0.0

    @property
    def completion_rate(self) -> float:
        return self.completed / self.tasks if self.tasks else 0.0

    @property
    def on_time_rate(self) -> float | None:
        return self.completed_on_time / self.completed if self.completed else None


@dataclass
class DepartmentLine:
    name: str
    level: str = ""  # JurisdictionLevel value; "" when unknown
    rank: int = 0  # within its level, 1 = best
    as_lead: Tally = field(default_factory=Tally)
    as_supporting: Tally = field(default_factory=Tally)
    reminders: int = 0
    escalations: int = 0
    missing_reports: int = 0
    notices: int = 0
    notices_answered: int = 0
    reports: int = 0

    @property
    def score(self) -> float:
        lead = self.as_lead
        if not lead.tasks:
            return 0.0
        on_time = lead.on_time_rate if lead.on_time_rate is not None else 0.0
        value = (
            lead.avg_progress * 0.5
            + on_time * 100 * 0.3
            + (1 - lead.overdue / lead.tasks) * 100 * 0.2
            - 5 * self.missing_reports
        )
        return round(max(0.0, value), 1)


@dataclass
class MeasureLine:
    label: str
    title: str
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class OverdueLine:
    seq: int | str  # the task's 序号 (3, or 3-1 for a child task)
    task_id: str
    title: str
    lead: tuple[str, ...]
    due_on: date
    days_late: int  # working days
    progress: int
    reminders: int
    order: int = 0  # position in the plan, for ties


@dataclass(frozen=True)
class IndicatorLine:
    """目标完成情况: an indicator of a task, with the task's lead departments."""

    seq: int
    task_title: str
    lead: tuple[str, ...]
    indicator: IndicatorFacts


@dataclass(frozen=True)
class TrendPoint:
    month: str
    completed: int
    overdue: int
    completion_rate: float


@dataclass
class MonthlyReport:
    plan_id: str
    plan_title: str
    month: str
    as_of: date
    overall: Tally
    status_counts: Counter[TaskStatus]
    measures: list[MeasureLine]
    departments: list[DepartmentLine]  # ranked, best first
    overdue: list[OverdueLine]  # most days late first
    activity: MonthActivity
    trend: list[TrendPoint]
    indicators: list[IndicatorLine] = field(default_factory=list)
    child_tasks: int = 0  # tasks decomposed from the counted ones (listed, not counted again)
    # 下级落实情况: a superior plan's subordinate plans (None: no plan implements this one).
    cascade: CoverageSummary | None = None

    @property
    def reminders_total(self) -> int:
        return sum(self.activity.reminders_by_task.values())

    @property
    def measures_total(self) -> int:
        return len(self.measures)

    @property
    def department_groups(self) -> list[tuple[str, list[DepartmentLine]]]:
        """The ranking by level: (level label, its departments best first)."""
        groups: dict[str, list[DepartmentLine]] = {}
        for d in self.departments:
            groups.setdefault(d.level, []).append(d)
        return [(level_label(level), lines) for level, lines in groups.items()]


def level_label(level: str) -> str:
    return {
        "national": "国家部委",
        "province": "省直单位",
        "city": "市级",
        "county": "县（市、区）级",
        "town": "乡镇（街道）级",
    }.get(level, "其他单位")


class ReportBuilder:
    """Accumulates tasks one at a time (`add`), so any number of tasks fits in memory."""

    def __init__(
        self,
        plan_id: str,
        plan_title: str,
        month: str,
        activity: MonthActivity,
        today: date,
        days_late: DayCounter = calendar_days,
    ) -> None:
        self.days_late = days_late
        self.child_tasks = 0
        _, month_end = month_bounds(month)
        self.plan_id, self.plan_title, self.month = plan_id, plan_title, month
        self.activity = activity
        # The report of the current month is as of today.
        self.as_of = min(month_end, today)
        self.trend_months = previous_months(month, TREND_MONTHS)
        self.trend_ends = [min(month_bounds(m)[1], today) for m in self.trend_months]
        # Counted tasks by (completed_on, due_on): the trend is computed per distinct pair in
        # `finish` (a few hundred) rather than six months over for each of 10,000 tasks.
        self.trend_dates: Counter[tuple[date | None, date | None]] = Counter()
        self.overall = Tally()
        self.statuses: Counter[TaskStatus] = Counter()
        self.measures: dict[str, MeasureLine] = {}
        self.departments: dict[str, DepartmentLine] = {}
        self._tallies: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Tally]] = {}
        self.overdue: list[OverdueLine] = []
        self.indicators: list[IndicatorLine] = []

    def _dept(self, name: str) -> DepartmentLine:
        line = self.departments.get(name)
        if line is None:
            line = self.departments[name] = DepartmentLine(name)
        return line

    def _department_tallies(
        self, lead: tuple[str, ...], supporting: tuple[str, ...]
    ) -> list[Tally]:
        """The tallies a task counts in as lead and as supporting department, looked up once
        per distinct pair of department lists."""
        found = self._tallies.get((lead, supporting))
        if found is None:
            found = self._tallies[lead, supporting] = [
                *(self._dept(name).as_lead for name in lead),
                *(self._dept(name).as_supporting for name in supporting),
            ]
        return found

    def add(self, t: TaskFacts) -> None:
        as_of = self.as_of
        done_on = t.completed_on
        done_by_as_of = done_on is not None and done_on <= as_of
        on_time = (
            done_on is not None and done_by_as_of and (t.due_on is None or done_on <= t.due_on)
        )
        is_overdue = t.due_on is not None and t.due_on < as_of and not done_by_as_of
        m = self.measures.get(t.measure_id)
        if m is None:
            m = self.measures[t.measure_id] = MeasureLine(t.measure_label, t.measure_title)
        tallies = self._department_tallies(t.lead, t.supporting)
        # A child task is its parent's work split up: the plan counts the parent once; the
        # departments each count the tasks they lead.
        counted = t.parent_id is None
        if counted:
            tallies = [self.overall, m.tally, *tallies]
            self.statuses[t.status] += 1
        else:
            self.child_tasks += 1
        Tally.count(tallies, t, done_by_as_of, on_time, is_overdue)
        if is_overdue and t.due_on is not None:
            self.overdue.append(
                OverdueLine(
                    t.number,
                    t.id,
                    t.title,
                    t.lead,
                    t.due_on,
                    self.days_late(t.due_on, as_of),
                    t.progress,
                    self.activity.reminders_by_task.get(t.id, 0),
                    order=len(self.overdue),
                )
            )
        self.indicators += [IndicatorLine(t.seq, t.title, t.lead, i) for i in t.indicators]
        if counted:
            self.trend_dates[t.completed_on, t.due_on] += 1

    def _trend(self) -> list[TrendPoint]:
        total = self.overall.tasks
        points = []
        for month, end in zip(self.trend_months, self.trend_ends, strict=True):
            completed = overdue = 0
            for (completed_on, due_on), n in self.trend_dates.items():
                done = completed_on is not None and completed_on <= end
                completed += n * done
                overdue += n * (due_on is not None and due_on < end and not done)
            points.append(
                TrendPoint(month, completed, overdue, completed / total if total else 0.0)
            )
        return points

    def finish(self) -> MonthlyReport:
        activity = self.activity
        for name, n in activity.reminders_by_department.items():
            self._dept(name).reminders += n
        for e in activity.escalations:
            for name in e.departments:
                self._dept(name).escalations += 1
        for miss in activity.missing_reports:
            self._dept(miss.department).missing_reports += 1
        for notice in activity.notices:
            d = self._dept(notice.department)
            d.notices += 1
            d.notices_answered += notice.answer is not None
        for name, n in activity.reports_by_department.items():
            self._dept(name).reports += n
        self.overdue.sort(key=lambda o: (-o.days_late, o.order))
        levels = activity.department_levels
        for d in self.departments.values():
            d.level = levels[d.name].value if d.name in levels else ""
        ranked = sorted(  # a collective group is no unit: its members rank on their own tasks
            (d for d in self.departments.values() if d.name not in activity.collective_departments),
            key=lambda d: (LEVEL_ORDER.index(d.level), -d.score, -d.as_lead.tasks, d.name),
        )
        for _, group in groupby(ranked, key=lambda d: d.level):
            for rank, d in enumerate(group, start=1):
                d.rank = rank
        return MonthlyReport(
            plan_id=self.plan_id,
            plan_title=self.plan_title,
            month=self.month,
            as_of=self.as_of,
            overall=self.overall,
            status_counts=self.statuses,
            measures=list(self.measures.values()),
            departments=ranked,
            overdue=self.overdue,
            activity=activity,
            trend=self._trend(),
            indicators=self.indicators,
            child_tasks=self.child_tasks,
        )


def build_monthly_report(
    plan_id: str,
    plan_title: str,
    month: str,
    tasks: Iterable[TaskFacts],
    activity: MonthActivity,
    today: date,
    days_late: DayCounter = calendar_days,
) -> MonthlyReport:
    builder = ReportBuilder(plan_id, plan_title, month, activity, today, days_late)
    for t in tasks:
        builder.add(t)
    return builder.finish()
