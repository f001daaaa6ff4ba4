"""Events the three services publish. Past tense; one class per fact."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from duban_contracts.base import Event
from duban_contracts.topics import (
    DIRECTORY_EVENTS,
    NOTIFICATION_EVENTS,
    SUPERVISION_EVENTS,
    TASK_EVENTS,
)
from duban_contracts.vocabulary import (
    Channel,
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    ReminderKind,
    Role,
    TaskStatus,
)

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Text = Annotated[str, StringConstraints(max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Percent = Annotated[int, Field(ge=0, le=100)]


# --- ledger: task lifecycle -------------------------------------------------------------


class _TaskEvent(Event):
    TOPIC: ClassVar[str] = TASK_EVENTS.name
    task_id: Id
    actor_id: Id | None = None


class TaskRegistered(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.registered"
    plan_id: Id
    plan_title: ShortText
    measure_id: Id
    parent_task_id: Id | None = None
    title: ShortText
    lead_department_ids: tuple[Id, ...] = Field(min_length=1)
    supporting_department_ids: tuple[Id, ...] = ()
    due_on: date | None
    status: TaskStatus = TaskStatus.DRAFT


class TaskDispatched(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.dispatched"
    due_on: date | None
    # Added without a new schema version (tolerant readers): the departments asked to act
    # (lead first, then supporting) and, for a decomposed task's child, its parent.
    department_ids: tuple[Id, ...] = ()
    parent_task_id: Id | None = None


class TaskAcknowledged(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.acknowledged"
    department_id: Id


class TaskDecomposed(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.decomposed"
    child_task_ids: tuple[Id, ...] = Field(min_length=1)


class TaskStatusChanged(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.status_changed"
    from_status: TaskStatus
    to_status: TaskStatus
    reason: Text | None = None


class IndicatorValue(BaseModel):
    """One indicator's current value in a progress report. Unknown fields are ignored so a
    later release may add some (the tolerant reader of `duban_contracts.base`)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    indicator_id: Id
    value: Annotated[float, Field(allow_inf_nan=False)]


class ProgressReported(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.progress_reported"
    report_id: Id
    department_id: Id
    percent: Percent
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] | None = None
    done_work: Text = ""
    next_steps: Text = ""
    problems: Text = ""
    coordination_needed: Text = ""
    # Added without a new schema version (tolerant readers): the current value of each of the
    # task's indicators (量化指标) the report carries.
    indicator_values: tuple[IndicatorValue, ...] = ()
    # The milestones (时间节点, keys of TaskMilestonesSet) this report declares done.
    milestones_done: tuple[Id, ...] = ()


class Milestone(BaseModel):
    """An intermediate deadline (时间节点) of a task."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    key: Id
    due_on: date
    text: ShortText


class TaskMilestonesSet(_TaskEvent):
    """The task's milestones, whole (a later event replaces the earlier set): the watcher
    reminds and escalates each like the task's own deadline until a report says it is done."""

    EVENT_TYPE: ClassVar[str] = "task.milestones_set"
    milestones: tuple[Milestone, ...] = ()


class DueDateChanged(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.due_date_changed"
    original_due_on: date | None
    previous_due_on: date | None
    due_on: date
    reason: Text | None = None


class ExtensionRequested(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.extension_requested"
    request_id: Id
    requested_due_on: date
    reason: Text
    # Added without a new schema version (tolerant readers): the lead departments (the
    # ones that ask and must act on the decision); empty from older producers.
    department_ids: tuple[Id, ...] = ()


class ExtensionDecided(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.extension_decided"
    request_id: Id
    decision: Decision
    due_on: date | None
    comment: Text | None = None
    # Added without a new schema version (tolerant readers): the lead departments (the
    # ones that ask and must act on the decision); empty from older producers.
    department_ids: tuple[Id, ...] = ()


class CompletionRequested(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.completion_requested"
    request_id: Id
    summary: Text
    evidence: tuple[ShortText, ...] = ()
    # Added without a new schema version (tolerant readers): the lead departments (the
    # ones that ask and must act on the decision); empty from older producers.
    department_ids: tuple[Id, ...] = ()


class CompletionDecided(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.completion_decided"
    request_id: Id
    decision: Decision
    comment: Text | None = None
    # Added without a new schema version (tolerant readers): the lead departments (the
    # ones that ask and must act on the decision); empty from older producers.
    department_ids: tuple[Id, ...] = ()


class TaskClosed(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "task.closed"
    # Added without a new schema version (tolerant readers): the lead departments told of
    # the 销号; empty from older producers.
    department_ids: tuple[Id, ...] = ()


class SupervisionNoticeIssued(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "supervision.notice_issued"
    notice_id: Id
    department_id: Id
    level: EscalationLevel
    requirements: Text
    reply_due_on: date


class SupervisionNoticeAnswered(_TaskEvent):
    EVENT_TYPE: ClassVar[str] = "supervision.notice_answered"
    notice_id: Id
    department_id: Id
    answer: Text


# --- deadline-watcher: time ---------------------------------------------------------------


class _SupervisionEvent(Event):
    TOPIC: ClassVar[str] = SUPERVISION_EVENTS.name
    scheduled_for: AwareDatetime
    late: bool = False
    dedupe_key: ShortText


class ReminderDue(_SupervisionEvent):
    EVENT_TYPE: ClassVar[str] = "reminder.due"
    task_id: Id
    task_title: ShortText
    plan_id: Id
    kind: ReminderKind
    due_on: date
    working_days_left: int
    department_ids: tuple[Id, ...] = Field(min_length=1)
    # Set when the deadline is a milestone (时间节点) of the task rather than its own due date.
    milestone: ShortText | None = None


class TaskOverdue(_SupervisionEvent):
    EVENT_TYPE: ClassVar[str] = "task.overdue"
    task_id: Id
    task_title: ShortText
    plan_id: Id
    due_on: date
    working_days_late: int = Field(ge=1)
    department_ids: tuple[Id, ...] = Field(min_length=1)
    # Set when the deadline is a milestone (时间节点) of the task rather than its own due date.
    milestone: ShortText | None = None


class EscalationRaised(_SupervisionEvent):
    EVENT_TYPE: ClassVar[str] = "escalation.raised"
    task_id: Id
    task_title: ShortText
    plan_id: Id
    level: EscalationLevel
    due_on: date
    working_days_late: int
    department_ids: tuple[Id, ...] = Field(min_length=1)
    reason: Text
    # Set when the deadline is a milestone (时间节点) of the task rather than its own due date.
    milestone: ShortText | None = None
    # Added without a new schema version (tolerant readers): the lead departments, whom the
    # ladder reaches (`department_ids` also names the supporting ones; empty: older
    # producers, read as all of `department_ids`), and for a 蓝 warning before the deadline
    # the working days still left.
    lead_department_ids: tuple[Id, ...] = ()
    working_days_left: int = Field(default=0, ge=0)


class ReportRequested(_SupervisionEvent):
    EVENT_TYPE: ClassVar[str] = "report.requested"
    KEY_FIELD: ClassVar[str] = "department_id"
    department_id: Id
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    report_due_on: date
    open_task_ids: tuple[Id, ...] = ()


class ReportMissing(_SupervisionEvent):
    EVENT_TYPE: ClassVar[str] = "report.missing"
    KEY_FIELD: ClassVar[str] = "department_id"
    department_id: Id
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    report_due_on: date
    consecutive_misses: int = Field(ge=1)
    escalation_level: EscalationLevel | None = None


# --- notifier: delivery ------------------------------------------------------------------


class _NotificationEvent(Event):
    TOPIC: ClassVar[str] = NOTIFICATION_EVENTS.name
    KEY_FIELD: ClassVar[str] = "key"
    # task id when the notification is about one task, else the recipient id (digests).
    key: Id
    notification_id: Id
    source_event_ids: tuple[Id, ...] = Field(min_length=1)
    task_ids: tuple[Id, ...] = ()
    recipient_id: Id
    channel: Channel
    attempt: int = Field(ge=1)
    at: AwareDatetime


class NotificationSent(_NotificationEvent):
    EVENT_TYPE: ClassVar[str] = "notification.sent"
    subject: ShortText
    # The rendered message, so the ledger's in-app inbox can show it.
    body: Text | None = None
    link: Annotated[str, StringConstraints(max_length=500)] | None = None


class NotificationFailed(_NotificationEvent):
    EVENT_TYPE: ClassVar[str] = "notification.failed"
    error: Text
    final: bool


# --- ledger: directory -------------------------------------------------------------------


class DepartmentUpserted(Event):
    TOPIC: ClassVar[str] = DIRECTORY_EVENTS.name
    EVENT_TYPE: ClassVar[str] = "directory.department_upserted"
    KEY_FIELD: ClassVar[str] = "department_id"
    department_id: Id
    name: ShortText
    jurisdiction: ShortText
    level: JurisdictionLevel
    parent_department_id: Id | None = None


class DepartmentRemoved(Event):
    TOPIC: ClassVar[str] = DIRECTORY_EVENTS.name
    EVENT_TYPE: ClassVar[str] = "directory.department_removed"
    KEY_FIELD: ClassVar[str] = "department_id"
    department_id: Id


class UserUpserted(Event):
    TOPIC: ClassVar[str] = DIRECTORY_EVENTS.name
    EVENT_TYPE: ClassVar[str] = "directory.user_upserted"
    KEY_FIELD: ClassVar[str] = "user_id"
    user_id: Id
    display_name: ShortText
    role: Role
    department_id: Id | None = None
    email: (
        Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None
    ) = None
    wecom_webhook: Annotated[str, StringConstraints(max_length=500)] | None = None
    dingtalk_webhook: Annotated[str, StringConstraints(max_length=500)] | None = None
    channels: tuple[Channel, ...] = (Channel.INBOX,)
    active: bool = True
    # Supervisors and leadership members: the plans they oversee (empty: every plan), so
    # escalations reach only the overseers of the task's plan. Added field: version stays 1.
    plan_ids: tuple[Id, ...] = ()


class UserRemoved(Event):
    TOPIC: ClassVar[str] = DIRECTORY_EVENTS.name
    EVENT_TYPE: ClassVar[str] = "directory.user_removed"
    KEY_FIELD: ClassVar[str] = "user_id"
    user_id: Id


# --- ledger: plan cascade (issue 24) -----------------------------------------------------
# Reference data like the directory, so on its topic; keyed by the subordinate plan's id, so
# the changes of one plan's links stay in order. No service consumes them yet.


class _PlanCascadeEvent(Event):
    TOPIC: ClassVar[str] = DIRECTORY_EVENTS.name
    KEY_FIELD: ClassVar[str] = "plan_id"
    plan_id: Id  # the subordinate plan
    actor_id: Id | None = None


class PlanLinkChanged(_PlanCascadeEvent):
    """The plan now implements `superior_plan_id` (None: it no longer implements any)."""

    EVENT_TYPE: ClassVar[str] = "plan.link_changed"
    superior_plan_id: Id | None
    previous_superior_plan_id: Id | None = None


class MeasureLinkChanged(_PlanCascadeEvent):
    """A subordinate measure's link to a superior measure was proposed, confirmed or rejected."""

    EVENT_TYPE: ClassVar[str] = "plan.measure_link_changed"
    measure_id: Id
    superior_plan_id: Id
    superior_measure_id: Id
    status: Literal["proposed", "confirmed", "rejected"]
    score: Annotated[float, Field(ge=0, le=1)] | None = None
