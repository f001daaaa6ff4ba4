"""Response models of tasks and what hangs off them: reports, requests, notices, timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

from pydantic import BaseModel, Field

from duban_contracts.vocabulary import (
    Decision,
    EscalationLevel,
    Light,
    TaskStatus,
)
from task_ledger.domain.light import is_overdue, light, light_reasons
from task_ledger.domain.model import Task
from task_ledger.entrypoints.responses.base import (
    Out,
    aware,
)
from task_ledger.entrypoints.responses.people import (
    DepartmentOut,
)


class TaskOut(Out):
    id: str
    plan_id: str
    measure_id: str
    parent_task_id: str | None
    title: str
    lead_department_ids: list[str]
    supporting_department_ids: list[str]
    status: TaskStatus
    status_label: str
    due_on: date | None
    original_due_on: date | None
    start_on: date | None
    progress: int
    light: Light
    light_label: str
    light_reasons: list[str] = Field(
        default_factory=list,
        description="指标落后于进度的原因，如“自治区级劳务品牌 8/30，按进度应达 18”",
    )
    overdue: bool
    escalation_level: EscalationLevel | None
    version: int

    @classmethod
    def of(cls, task: Task, today: date, warning_days: int) -> Self:
        lamp = light(task, today, warning_days)
        return cls(
            id=task.id,
            plan_id=task.plan_id,
            measure_id=task.measure_id,
            parent_task_id=task.parent_task_id,
            title=task.title,
            lead_department_ids=list(task.lead_department_ids),
            supporting_department_ids=list(task.supporting_department_ids),
            status=task.status,
            status_label=task.status.label,
            due_on=task.due_on,
            original_due_on=task.original_due_on,
            start_on=task.start_on,
            progress=task.progress,
            light=lamp,
            light_label=lamp.label,
            light_reasons=light_reasons(task, today),
            overdue=is_overdue(task, today),
            escalation_level=task.escalation_level,
            version=task.version,
        )


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    page_size: int


class AttachmentOut(Out):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


class ProgressReportOut(Out):
    id: str
    task_id: str
    department_id: str
    author_id: str
    percent: int
    done_work: str
    next_steps: str
    problems: str
    coordination_needed: str
    period: str | None
    attachments: list[AttachmentOut]
    created_at: datetime | None


class ExtensionRequestOut(Out):
    id: str
    task_id: str
    requested_by: str
    requested_due_on: date
    previous_due_on: date | None
    reason: str
    decision: Decision | None
    decided_by: str | None
    comment: str | None


class CompletionRequestOut(Out):
    id: str
    task_id: str
    requested_by: str
    summary: str
    evidence: list[str]
    decision: Decision | None
    decided_by: str | None
    comment: str | None


class SupervisionNoticeOut(Out):
    id: str
    task_id: str
    department_id: str
    level: EscalationLevel
    requirements: str
    reply_due_on: date
    issued_by: str
    answer: str | None
    answered_by: str | None


class TaskDetail(TaskOut):
    """A task with what hangs off it. Progress reports and the timeline: the newest page
    (settings.detail_page_size) and the totals; the rest from their paged endpoints."""

    departments: list[DepartmentOut]
    children: list[TaskOut]
    progress_reports: list[ProgressReportOut]
    progress_reports_total: int
    timeline: list[TimelineEntryOut]
    timeline_total: int
    extension_requests: list[ExtensionRequestOut]
    completion_requests: list[CompletionRequestOut]
    supervision_notices: list[SupervisionNoticeOut]


class TimelineEntryOut(BaseModel):
    id: int
    at: datetime | None
    kind: str
    summary: str
    actor_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            at=aware(row.at),
            kind=row.kind,
            summary=row.summary,
            actor_id=row.actor_id,
            data=row.data or {},
        )
