"""Response models of the HTTP API: the JSON each route answers, documented in the OpenAPI.

Each model says how it is built from the domain (`of(...)`), so routes only map. The pages use
the same task model for their rows (`TaskOut.of(...).model_dump()`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from duban_contracts.vocabulary import (
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    Light,
    Role,
    TaskStatus,
)
from task_ledger.domain.light import is_overdue, light, light_reasons
from task_ledger.domain.model import Department, Task, User
from task_ledger.entrypoints.cascade_models import MeasureLinkOut, ProposedSuperior


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; the API always says which zone it means."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


class Out(BaseModel):
    # Built from domain dataclasses and rows by attribute.
    model_config = ConfigDict(from_attributes=True)


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


class DepartmentOut(Out):
    id: str
    name: str
    jurisdiction: str
    level: JurisdictionLevel
    level_label: str
    parent_id: str | None

    @classmethod
    def of(cls, dep: Department) -> Self:
        return cls(
            id=dep.id,
            name=dep.name,
            jurisdiction=dep.jurisdiction,
            level=dep.level,
            level_label=dep.level.label,
            parent_id=dep.parent_id,
        )


class UserOut(Out):
    id: str
    username: str
    display_name: str
    role: Role
    role_label: str
    department_id: str | None
    email: str | None
    active: bool
    plan_ids: list[str] = Field(description="督查、领导小组成员所督办的方案；空：全部方案")
    must_change_password: bool = Field(
        default=False, description="初始或重置的密码须先修改（POST /api/auth/password）"
    )

    @classmethod
    def of(cls, user: User) -> Self:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            role_label=user.role.label,
            department_id=user.department_id,
            email=user.email,
            active=user.active,
            plan_ids=list(user.plan_ids),
            must_change_password=user.must_change_password,
        )


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut


class LogoutOut(BaseModel):
    logged_out: Literal[True] = True


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


class InboxMessageOut(BaseModel):
    id: str
    subject: str
    body: str | None
    link: str | None
    task_ids: list[str]
    at: datetime | None
    read: bool

    @classmethod
    def of(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            subject=row.subject,
            body=row.body,
            link=row.link,
            task_ids=row.task_ids or [],
            at=aware(row.at),
            read=row.read_at is not None,
        )


class Changed(BaseModel):
    changed: bool


class Queued(BaseModel):
    command_id: str
    status: Literal["queued"] = "queued"


class PlanOut(Out):
    id: str
    title: str
    doc_number: str | None
    jurisdiction: str | None
    due_on: date | None


# --- plan import (the preview `service_layer.imports` builds) ---------------------------------
class Parsed(BaseModel):
    # What the plan parser found passes through whole, even fields added after this schema.
    model_config = ConfigDict(extra="allow")


class TargetOut(Parsed):
    text: str
    value: int | float
    unit: str
    due: str | None = None


class MilestoneOut(Parsed):
    due: str
    text: str


class DepartmentRef(BaseModel):
    printed: str = Field(description="文件中的写法")
    name: str
    jurisdiction: str
    level: str | None = Field(description="登记的层级（国家 / 省 / 市 / 县）；未登记：空")
    id: str
    known: bool = Field(description="是否为已登记的单位")
    collective: bool = Field(
        default=False, description="是否为集合性表述（如“各区人民政府”“相关部门”），而非单个单位"
    )


class IndicatorDraftOut(BaseModel):
    key: str
    name: str = Field(description="指标")
    target: float = Field(description="目标值（金额统一为万元）")
    unit: str
    due: str | None = Field(description="时间节点")
    baseline: float | None = Field(default=None, description="基数")
    qualifier: str | None = Field(default=None, description="以上、左右、力争、不少于……")
    kind: Literal["cumulative", "new"] = Field(description="累计值或新增值（新增）")
    aggregation: Literal["sum", "mean"] = Field(description="分解任务汇总方式：求和或平均")
    source_text: str = Field(description="目标出自的句子")
    checkpoints: list[dict[str, Any]] = Field(default_factory=list, description="阶段性目标")
    dropped: bool = False


class ConflictPlaceOut(BaseModel):
    measure_id: str
    measure_label: str
    key: str
    target: float
    due: str | None
    kind: str
    sentence: str


class IndicatorConflictOut(BaseModel):
    name: str
    unit: str
    message: str
    places: list[ConflictPlaceOut]
    resolution: Literal["first", "second", "both"] | None = Field(
        description="以哪一处为准；空：待人工确认"
    )


class PreviewMeasure(BaseModel):
    id: str
    task_id: str | None
    position: int
    label: str
    path: list[str]
    title: str
    text: str
    due: str | None
    targets: list[TargetOut]
    milestones: list[MilestoneOut]
    lead: list[DepartmentRef]
    supporting: list[DepartmentRef]
    indicators: list[IndicatorDraftOut] = Field(default_factory=list, description="量化指标草稿")


class PreviewDocument(BaseModel):
    plan_id: str
    title: str
    doc_number: str | None
    issuers: list[str]
    issued_on: str | None
    due: str | None
    jurisdiction: str | None
    warnings: list[str]
    measures: list[PreviewMeasure] = Field(description="第一页措施；其余见分页接口")
    measure_count: int = Field(description="措施总数")
    unknown_departments: list[str]
    task_count: int
    indicator_conflicts: list[IndicatorConflictOut] = Field(
        default_factory=list, description="同一指标前后不一致之处，待人工确认"
    )
    superior: ProposedSuperior | None = None  # plan cascade: the proposed superior plan
    measure_links: list[MeasureLinkOut] = []  # plan cascade: proposed measure links


ImportStatus = Literal["previewed", "confirming", "confirmed"]


class ImportProgress(BaseModel):
    done: int = Field(description="已处理的措施数")
    total: int = Field(description="措施总数")


class ImportPreview(BaseModel):
    import_id: str
    status: ImportStatus
    documents: list[PreviewDocument]


class ImportOut(ImportPreview):
    plan_ids: list[str]
    progress: ImportProgress | None = Field(default=None, description="后台导入进度")
    job_error: str | None = Field(default=None, description="后台导入中断的原因")


class ImportJob(BaseModel):
    """A large import being confirmed in the background (202): follow it on GET."""

    import_id: str
    status: Literal["confirming"]
    done: int
    total: int


class ImportSummary(Out):
    """One import in the list: what was uploaded, by whom, and what became of it."""

    id: str
    filename: str
    created_by: str
    created_at: datetime | None
    status: ImportStatus
    plan_ids: list[str] | None

    @field_validator("created_at")
    @classmethod
    def _zoned(cls, at: datetime | None) -> datetime | None:
        return aware(at)


class ImportPage(BaseModel):
    items: list[ImportSummary]
    total: int
    page: int
    page_size: int


class ImportConfirmed(BaseModel):
    import_id: str
    status: Literal["confirmed"]
    plan_ids: list[str]
    plans: int
    measures: int
    tasks: int
    departments: int


# --- indicators (量化指标) ---------------------------------------------------------------------
class IndicatorOut(BaseModel):
    id: str
    task_id: str = Field(description="指标所属任务（分解任务：上级任务）")
    name: str
    target: float
    unit: str
    due_on: date | None
    baseline: float | None
    qualifier: str | None
    kind: Literal["cumulative", "new"]
    aggregation: Literal["sum", "mean"]
    source_text: str
    current: float | None = Field(description="当前值（分解任务为下级汇总）")
    own_share: float | None = Field(description="本任务填报的值")
    completion: float | None = Field(description="完成率（%）")
    expected: float | None = Field(description="按进度应达")
    light: Light
    reason: str | None
    summary: str


class IndicatorValueOut(BaseModel):
    task_id: str
    report_id: str
    department_id: str
    value: float
    at: datetime


class MilestoneStateOut(BaseModel):
    key: str
    due_on: date = Field(description="时间节点")
    text: str
    done: bool = Field(description="是否已报告完成")
    report_id: str | None = Field(description="报告完成的进展填报")
