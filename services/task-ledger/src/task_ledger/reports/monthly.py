"""Compute the monthly scheduling report in one pass over the plan's tasks."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from duban_contracts.vocabulary import Light, TaskStatus
from task_ledger.reports.facts import MonthActivity, TaskFacts

TREND_MONTHS = 6
SCORE_RULE = (
    "综合得分 = 平均进度×50% + 按期办结率×30% + (1−逾期任务占比)×20%，"
    "每缺报一次月度进展扣5分；仅统计作为牵头单位的任务。"
)


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

    def add(self, t: TaskFacts, overdue: bool, as_of: date) -> None:
        self.tasks += 1
        self.progress_sum += t.progress
        self.lights[t.light] += 1
        if t.completed_on is not None and t.completed_on <= as_of:
            self.completed += 1
            if t.due_on is None or t.completed_on <= t.due_on:
                self.completed_on_time += 1
        if overdue:
            self.overdue += 1

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
    seq: int
    task_id: str
    title: str
    lead: tuple[str, ...]
    due_on: date
    days_late: int
    progress: int
    reminders: int


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

    @property
    def reminders_total(self) -> int:
        return sum(self.activity.reminders_by_task.values())


def build_monthly_report(
    plan_id: str,
    plan_title: str,
    month: str,
    tasks: Iterable[TaskFacts],
    activity: MonthActivity,
    today: date,
) -> MonthlyReport:
    """`today` caps the report date: the report of the current month is as of today."""
    _, month_end = month_bounds(month)
    as_of = min(month_end, today)
    trend_months = [m for m in previous_months(month, TREND_MONTHS)]
    trend_ends = [min(month_bounds(m)[1], today) for m in trend_months]
    trend_completed = [0] * len(trend_months)
    trend_overdue = [0] * len(trend_months)

    overall = Tally()
    statuses: Counter[TaskStatus] = Counter()
    measures: dict[str, MeasureLine] = {}
    departments: dict[str, DepartmentLine] = {}
    overdue: list[OverdueLine] = []

    def dept(name: str) -> DepartmentLine:
        line = departments.get(name)
        if line is None:
            line = departments[name] = DepartmentLine(name)
        return line

    for t in tasks:
        done_by_as_of = t.completed_on is not None and t.completed_on <= as_of
        is_overdue = t.due_on is not None and t.due_on < as_of and not done_by_as_of
        overall.add(t, is_overdue, as_of)
        statuses[t.status] += 1
        m = measures.get(t.measure_id)
        if m is None:
            m = measures[t.measure_id] = MeasureLine(t.measure_label, t.measure_title)
        m.tally.add(t, is_overdue, as_of)
        for name in t.lead:
            dept(name).as_lead.add(t, is_overdue, as_of)
        for name in t.supporting:
            dept(name).as_supporting.add(t, is_overdue, as_of)
        if is_overdue and t.due_on is not None:
            overdue.append(
                OverdueLine(
                    t.seq,
                    t.id,
                    t.title,
                    t.lead,
                    t.due_on,
                    (as_of - t.due_on).days,
                    t.progress,
                    activity.reminders_by_task.get(t.id, 0),
                )
            )
        for i, end in enumerate(trend_ends):
            done = t.completed_on is not None and t.completed_on <= end
            trend_completed[i] += done
            trend_overdue[i] += t.due_on is not None and t.due_on < end and not done

    for name, n in activity.reminders_by_department.items():
        dept(name).reminders += n
    for e in activity.escalations:
        for name in e.departments:
            dept(name).escalations += 1
    for miss in activity.missing_reports:
        dept(miss.department).missing_reports += 1
    for notice in activity.notices:
        d = dept(notice.department)
        d.notices += 1
        d.notices_answered += notice.answer is not None
    for name, n in activity.reports_by_department.items():
        dept(name).reports += n

    overdue.sort(key=lambda o: (-o.days_late, o.seq))
    ranked = sorted(departments.values(), key=lambda d: (-d.score, -d.as_lead.tasks, d.name))
    total = overall.tasks
    trend = [
        TrendPoint(m, c, o, c / total if total else 0.0)
        for m, c, o in zip(trend_months, trend_completed, trend_overdue, strict=True)
    ]
    return MonthlyReport(
        plan_id=plan_id,
        plan_title=plan_title,
        month=month,
        as_of=as_of,
        overall=overall,
        status_counts=statuses,
        measures=list(measures.values()),
        departments=ranked,
        overdue=overdue,
        activity=activity,
        trend=trend,
    )
