"""Read a plan's report facts from the ledger's database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.calendar import china_calendar
from duban_common.clock import CHINA
from duban_contracts.vocabulary import Decision, EscalationLevel, JurisdictionLevel, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.adapters.reports.task_rows import (
    TASK_COLUMNS,
    TaskRow,
    in_tree_order,
)
from task_ledger.domain.errors import UnknownPlan
from task_ledger.domain.indicators import completion
from task_ledger.domain.light import light, time_light
from task_ledger.domain.milestones import milestones_due
from task_ledger.domain.model import Task
from task_ledger.domain.reports.facts import (
    EscalationFacts,
    IndicatorFacts,
    MissingReportFacts,
    MonthActivity,
    NoticeFacts,
    TaskFacts,
)
from task_ledger.domain.reports.monthly import MonthlyReport, ReportBuilder, month_bounds

REMINDER_KINDS = ("reminder", "overdue", "manual_reminder")


def _window(month: str) -> tuple[datetime, datetime]:
    first, last = month_bounds(month)
    start = datetime.combine(first, time.min, CHINA).astimezone(UTC)
    end = datetime.combine(last, time.max, CHINA).astimezone(UTC)
    return start, end


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite: naive UTC


def _local_date(value: datetime | None) -> date | None:
    if value is None:
        return None
    return _aware(value).astimezone(CHINA).date()


class PlanReportSource:
    """Facts for one plan and month. Department ids are shown by name."""

    def __init__(self, conn: AsyncConnection, plan_id: str, month: str, warning_days: int) -> None:
        self.conn, self.plan_id, self.month = conn, plan_id, month
        self.warning_days = warning_days
        self.names: dict[str, str] = {}
        self.levels: dict[str, JurisdictionLevel] = {}
        self.collective: frozenset[str] = frozenset()
        self.plan_title = ""
        self._rows: list[Any] | None = None
        self._named: dict[tuple[str, ...], tuple[str, ...]] = {}

    async def load_context(self) -> None:
        plan = (
            await self.conn.execute(select(t.plans).where(t.plans.c.id == self.plan_id))
        ).first()
        if plan is None:
            raise UnknownPlan(f"方案不存在：{self.plan_id}")
        self.plan_title = plan.title
        departments = await repo.list_departments(self.conn)
        self.names = {d.id: d.name for d in departments}
        self.levels = {d.name: d.level for d in departments}
        self.collective = frozenset(d.name for d in departments if d.collective)

    def _names(self, ids: Any) -> tuple[str, ...]:
        return tuple(self.names.get(i, i) for i in ids or ())

    def _names_of(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        """`_names` of a task's department list, once per distinct list (a few hundred
        among 10,000 tasks)."""
        found = self._named.get(ids)
        if found is None:
            found = self._named[ids] = self._names(ids)
        return found

    def _of_plan(self, task_id: Any) -> Any:
        """The rows whose `task_id` is a task of the plan. A correlated EXISTS, so SQLite
        looks each row's task up by its key: `IN (SELECT id FROM task WHERE plan_id = …)`
        first built a 10,000-id list for each of five queries (~6 ms each, even on an empty
        table)."""
        return (
            select(t.tasks.c.id)
            .where(t.tasks.c.id == task_id, t.tasks.c.plan_id == self.plan_id)
            .exists()
        )

    async def activity(self) -> MonthActivity:
        """What happened in the month: reminders, escalations, missing reports, notices,
        progress reports by department."""
        start, end = _window(self.month)
        act = MonthActivity(department_levels=self.levels, collective_departments=self.collective)
        task_rows = {r.id: r for r in await self._task_rows()}
        await self._reminders(act, task_rows, start, end)
        await self._missing_reports(act, task_rows)
        await self._notices(act, task_rows, start, end)
        await self._reports(act, start, end)
        return act

    async def _reminders(
        self, act: MonthActivity, task_rows: dict[str, Any], start: datetime, end: datetime
    ) -> None:
        """Reminders counted by task and department; escalations listed."""
        timeline = await self.conn.execute(
            select(t.timeline.c.task_id, t.timeline.c.kind, t.timeline.c.at, t.timeline.c.data)
            .where(
                self._of_plan(t.timeline.c.task_id),
                t.timeline.c.at.between(start, end),
                t.timeline.c.kind.in_((*REMINDER_KINDS, "escalation")),
            )
            .order_by(t.timeline.c.at)
        )
        by_task: Counter[str] = Counter()
        by_dept: Counter[str] = Counter()
        for row in timeline:
            task = task_rows.get(row.task_id)
            if task is None:
                continue
            if row.kind == "escalation":
                level = (row.data or {}).get("level", EscalationLevel.BLUE.value)
                act.escalations.append(
                    EscalationFacts(
                        row.task_id,
                        task.title,
                        EscalationLevel(level),
                        _local_date(row.at) or start.date(),
                        self._names(task.lead_department_ids),
                    )
                )
                continue
            by_task[row.task_id] += 1
            for name in self._names(
                [*(task.lead_department_ids or ()), *(task.supporting_department_ids or ())]
            ):
                by_dept[name] += 1
        act.reminders_by_task = dict(by_task)
        act.reminders_by_department = dict(by_dept)

    async def _missing_reports(self, act: MonthActivity, task_rows: dict[str, Any]) -> None:
        plan_departments = {
            d
            for r in task_rows.values()
            for d in [*(r.lead_department_ids or ()), *(r.supporting_department_ids or ())]
        }
        for row in await self.conn.execute(
            select(t.monthly_reports).where(
                t.monthly_reports.c.period == self.month, t.monthly_reports.c.missing.is_(True)
            )
        ):
            if row.department_id in plan_departments:
                act.missing_reports.append(
                    MissingReportFacts(
                        self.names.get(row.department_id, row.department_id),
                        row.period,
                        row.consecutive_misses,
                    )
                )

    async def _notices(
        self, act: MonthActivity, task_rows: dict[str, Any], start: datetime, end: datetime
    ) -> None:
        for row in await self.conn.execute(
            select(t.supervision_notices)
            .where(
                self._of_plan(t.supervision_notices.c.task_id),
                t.supervision_notices.c.issued_at.between(start, end),
            )
            .order_by(t.supervision_notices.c.issued_at)
        ):
            task = task_rows.get(row.task_id)
            act.notices.append(
                NoticeFacts(
                    row.task_id,
                    task.title if task else row.task_id,
                    self.names.get(row.department_id, row.department_id),
                    EscalationLevel(row.level),
                    _local_date(row.issued_at) or start.date(),
                    row.reply_due_on,
                    row.requirements,
                    row.answer,
                )
            )

    async def _reports(self, act: MonthActivity, start: datetime, end: datetime) -> None:
        """Progress reports of the month, counted by department (in the database: reading
        the plan's 7,450 reports to count them took a third of the activity's time)."""
        pr = t.progress_reports
        reports: Counter[str] = Counter()
        for row in await self.conn.execute(
            select(pr.c.department_id, func.count())
            .where(self._of_plan(pr.c.task_id), pr.c.created_at.between(start, end))
            .group_by(pr.c.department_id)
        ):
            reports[self.names.get(row.department_id, row.department_id)] += row[1]
        act.reports_by_department = dict(reports)

    async def load_tasks(self, with_latest: bool = True) -> None:
        """Read what `tasks` is built from: measures, tasks, completions, indicators,
        milestones and (`with_latest`) each task's latest progress report."""
        self._measures = {
            m.id: m
            for m in await self.conn.execute(
                select(
                    t.measures.c.id, t.measures.c.label, t.measures.c.title, t.measures.c.position
                ).where(t.measures.c.plan_id == self.plan_id)
            )
        }
        self._completed = await self._completed_on()
        # Only the ledger's rows show each task's latest report; the report does not.
        self._latest = await self._latest_reports() if with_latest else {}
        self._by_measure = await self._tasks_by_measure(self._measures.keys())
        self._tracked = await repo.tracked_of(self.conn, await self._tasks_with_indicators())
        self._milestones = await repo.plan_milestones(self.conn, self.plan_id)

    def tasks(self, as_of: date) -> Iterator[TaskFacts]:
        """Every task of the plan in ledger order (after `load_tasks`; no I/O)."""
        measures, completed, latest = self._measures, self._completed, self._latest
        by_measure, tracked = self._by_measure, self._tracked
        milestones, done = self._milestones
        seq = 0
        for measure in sorted(measures.values(), key=lambda m: (m.position, m.id)):
            stored_milestones = milestones[measure.id]
            for task, sub_seq in in_tree_order(by_measure.get(measure.id, [])):
                # The light counts the numbers too (the worse of time and indicators).
                indicators = tuple(tracked.get(task.id, ()))
                due = (
                    milestones_due(stored_milestones, done.get(task.id, ()))
                    if stored_milestones and task.parent_task_id is None
                    else ()
                )
                # Most tasks have neither: their light is the time light of the row itself.
                if indicators or due:
                    full = replace(task.task(), indicators=indicators, milestones=due)
                    lamp, facts = (
                        light(full, as_of, self.warning_days),
                        indicator_facts(full, as_of),
                    )
                else:
                    lamp, facts = time_light(task, as_of, self.warning_days), ()
                seq += not sub_seq
                done_work, problems = latest.get(task.id, ("", ""))
                yield TaskFacts(
                    id=task.id,
                    seq=seq,
                    title=task.title,
                    measure_id=measure.id,
                    measure_label=measure.label,
                    measure_title=measure.title,
                    lead=self._names_of(task.lead_department_ids),
                    supporting=self._names_of(task.supporting_department_ids),
                    original_due_on=task.original_due_on,
                    due_on=task.due_on,
                    status=task.status,
                    progress=task.progress,
                    light=lamp,
                    completed_on=completed.get(task.id)
                    if task.status in (TaskStatus.COMPLETED, TaskStatus.CLOSED)
                    else None,
                    latest_progress=done_work,
                    problems=problems,
                    indicators=facts,
                    parent_id=task.parent_task_id if sub_seq else None,
                    sub_seq=sub_seq,
                )

    async def _completed_on(self) -> dict[str, date | None]:
        """The day each task's completion was approved."""
        return {
            r.task_id: _local_date(r.decided_at)
            for r in await self.conn.execute(
                select(t.completion_requests.c.task_id, t.completion_requests.c.decided_at).where(
                    self._of_plan(t.completion_requests.c.task_id),
                    t.completion_requests.c.decision == Decision.APPROVED.value,
                )
            )
        }

    async def _latest_reports(self) -> dict[str, tuple[str, str]]:
        """Each task's latest progress report: (done work, problems), picked in the database
        (only one report per task is read, and no time stamp is converted)."""
        pr = t.progress_reports
        newest_first = (
            func.row_number()
            .over(partition_by=pr.c.task_id, order_by=(pr.c.created_at.desc(), pr.c.id.desc()))
            .label("newest_first")
        )
        ranked = (
            select(pr.c.task_id, pr.c.done_work, pr.c.problems, newest_first)
            .where(self._of_plan(pr.c.task_id))
            .subquery()
        )
        query = select(ranked.c.task_id, ranked.c.done_work, ranked.c.problems).where(
            ranked.c.newest_first == 1
        )
        return {
            task_id: (done, problems) for task_id, done, problems in await self.conn.execute(query)
        }

    async def _tasks_with_indicators(self) -> list[str]:
        """Only these tasks' indicators are looked up: asking for all 10,000 task ids took
        twenty IN (...) queries of 500 ids each, mostly for tasks without indicators."""
        query = (
            select(t.indicators.c.task_id).where(self._of_plan(t.indicators.c.task_id)).distinct()
        )
        return list((await self.conn.execute(query)).scalars())

    async def _task_rows(self) -> list[TaskRow]:
        """The plan's task rows in ledger order, read once for the month's activity and the
        task facts (a query per measure plus one for the activity read the same rows ten
        times over with 10,000 tasks)."""
        if self._rows is None:
            rows = await self.conn.execute(
                select(*TASK_COLUMNS)
                .where(t.tasks.c.plan_id == self.plan_id)
                .order_by(t.tasks.c.created_at, t.tasks.c.id)
            )
            # All at once: iterating the result fetched the rows one call each through the
            # async driver adapter (~25 ms per 10,000 rows).
            self._rows = [TaskRow(row) for row in rows.all()]
        return self._rows

    async def _tasks_by_measure(self, measure_ids: Collection[str]) -> dict[str, list[TaskRow]]:
        """The plan's tasks in ledger order, by measure; only the plan's own measures."""
        rows_by_measure: dict[str, list[TaskRow]] = {}
        for row in await self._task_rows():
            if row.measure_id in measure_ids:
                rows_by_measure.setdefault(row.measure_id, []).append(row)
        return rows_by_measure


def indicator_facts(task: Task, as_of: date) -> tuple[IndicatorFacts, ...]:
    facts = []
    for tr in task.indicators:
        verdict = tr.assess(as_of)
        facts.append(
            IndicatorFacts(
                name=tr.indicator.name,
                target=tr.indicator.target,
                unit=tr.indicator.unit,
                current=tr.current,
                completion=completion(tr.indicator, tr.current),
                due_on=tr.indicator.due,
                light=verdict.light,
                reason=verdict.reason,
                expected_completion=None
                if verdict.expected is None
                else completion(tr.indicator, verdict.expected),
            )
        )
    return tuple(facts)


async def monthly_report(
    conn: AsyncConnection,
    plan_id: str,
    month: str,
    today: date,
    warning_days: int,
    with_facts: bool = True,
) -> tuple[MonthlyReport, list[TaskFacts]]:
    """The report and the plan's task facts (the Excel ledger needs both; `with_facts=False`
    returns no facts and skips reading each task's latest report, which only they show)."""
    source = PlanReportSource(conn, plan_id, month, warning_days)
    await source.load_context()
    activity = await source.activity()
    # Working days, as the watcher counts; overdue tasks share a few hundred due dates.
    days_late = lru_cache(maxsize=4096)(china_calendar().working_days_between)
    builder = ReportBuilder(plan_id, source.plan_title, month, activity, today, days_late)
    await source.load_tasks(with_latest=with_facts)
    facts = []
    for fact in source.tasks(builder.as_of):
        builder.add(fact)
        if with_facts:
            facts.append(fact)
    return builder.finish(), facts


async def plan_ids(conn: AsyncConnection) -> list[tuple[str, str]]:
    return [
        (r.id, r.title)
        for r in await conn.execute(
            select(t.plans.c.id, t.plans.c.title).order_by(t.plans.c.created_at, t.plans.c.id)
        )
    ]
