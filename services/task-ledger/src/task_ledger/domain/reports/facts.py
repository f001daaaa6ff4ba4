"""Plain facts a report is computed from, independent of the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from duban_contracts.vocabulary import EscalationLevel, JurisdictionLevel, Light, TaskStatus


@dataclass(frozen=True, slots=True)
class IndicatorFacts:
    """One indicator (量化指标) of a task as the report shows it."""

    name: str
    target: float
    unit: str
    current: float | None
    completion: float | None  # 0..1
    due_on: date | None
    light: Light
    reason: str | None
    expected_completion: float | None = None  # the share the path asks for by the report date


# Not frozen: a frozen dataclass sets each of its 19 fields through object.__setattr__, which
# took 30 ms per 10,000 tasks against 8 ms; nothing changes a task's facts once built.
@dataclass(slots=True)
class TaskFacts:
    id: str
    seq: int
    title: str
    measure_id: str
    measure_label: str
    measure_title: str
    lead: tuple[str, ...]  # department names
    supporting: tuple[str, ...]
    original_due_on: date | None
    due_on: date | None
    status: TaskStatus
    progress: int
    light: Light
    completed_on: date | None = None
    latest_progress: str = ""
    problems: str = ""
    indicators: tuple[IndicatorFacts, ...] = ()
    # A child task (分解到下级) is listed under its parent and not counted again in the plan's
    # totals: `parent_id` is its parent, `sub_seq` its place under it (1, 2, ...).
    parent_id: str | None = None
    sub_seq: int = 0

    @property
    def number(self) -> str:
        """序号 as printed: 3 for a task, 3-1 for its first child."""
        return f"{self.seq}-{self.sub_seq}" if self.parent_id else str(self.seq)


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    task_id: str
    task_title: str
    department: str
    level: EscalationLevel
    issued_on: date
    reply_due_on: date
    requirements: str
    answer: str | None


@dataclass(frozen=True, slots=True)
class EscalationFacts:
    task_id: str
    task_title: str
    level: EscalationLevel
    on: date
    departments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MissingReportFacts:
    department: str
    period: str
    consecutive_misses: int


@dataclass
class MonthActivity:
    """What happened in the report month, from the timeline and the supervision tables."""

    reminders_by_task: dict[str, int] = field(default_factory=dict)
    reminders_by_department: dict[str, int] = field(default_factory=dict)
    escalations: list[EscalationFacts] = field(default_factory=list)
    missing_reports: list[MissingReportFacts] = field(default_factory=list)
    notices: list[NoticeFacts] = field(default_factory=list)
    reports_by_department: dict[str, int] = field(default_factory=dict)
    # Each department's level (省、市、县/区…) by name: departments are ranked within a level.
    department_levels: dict[str, JurisdictionLevel] = field(default_factory=dict)
    # Collective groups (各县（市、区）人民政府) by name: counted under the plan, never ranked.
    collective_departments: frozenset[str] = frozenset()
