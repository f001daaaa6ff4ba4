"""Database tables (SQLModel), in the ledger's own MetaData so other services' models never mix in.

Repositories use the tables through SQLAlchemy Core (`Row.__table__`) on one connection per
unit of work, which is also where the outbox and inbox rows are written.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, false
from sqlmodel import Field

from duban_common.inbox import inbox_table
from duban_common.outbox import outbox_table
from task_ledger.adapters.table_base import LedgerBase
from task_ledger.adapters.table_base import json_field as _json
from task_ledger.adapters.table_base import ts_field as _ts
from task_ledger.adapters.table_targets import (
    IndicatorConflictDecisionRow,
    IndicatorRow,
    IndicatorValueRow,
    MeasureLinkRow,
    MilestoneDoneRow,
    PlanLinkRow,
)


class DepartmentRow(LedgerBase, table=True):
    __tablename__ = "department"
    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200, index=True)
    jurisdiction: str = Field(max_length=100)
    level: str = Field(max_length=20)
    parent_id: str | None = Field(default=None, max_length=64)
    # A duplicate merged into another department (retired; its records moved there).
    merged_into: str | None = Field(default=None, max_length=64)
    # A collective group (各县（市、区）人民政府): never staffed, never ranked; see Department.
    collective: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UserRow(LedgerBase, table=True):
    __tablename__ = "ledger_user"
    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=100, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=30)
    department_id: str | None = Field(default=None, max_length=64, index=True)
    email: str | None = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=300)
    active: bool = True
    # The plans a supervisor oversees (JSON list); empty: every plan.
    plan_ids: list[str] | None = _json()
    # Bumped by a password change, reset or deactivation: every token and page session
    # issued before carries the old value and stops working.
    credential_version: int = 0
    # An initial or reset password that must be changed before anything else.
    must_change_password: bool = False
    # 企业微信/钉钉 ID from a liaison list (reference only: messages go by inbox and e-mail).
    im_id: str | None = Field(default=None, max_length=100)


class LoginThrottleRow(LedgerBase, table=True):
    """Failed logins of one account (`user:<name>`) or one client address (`addr:<ip>`)."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    window_start: float = 0.0
    locked_until: float = 0.0


class AuthSessionRow(LedgerBase, table=True):
    """One login (a bearer token or a page session): logout revokes it."""

    __tablename__ = "auth_session"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=10)
    created_at: float = 0.0
    expires_at: float = 0.0
    revoked: bool = False


class CredentialEpochRow(LedgerBase, table=True):
    """One row: a counter every revocation (logout, password change or reset, user edit or
    deactivation) moves on in its own transaction. Each process reads it once per
    `token_cache_seconds` and forgets the sessions it verified when it moved."""

    __tablename__ = "credential_epoch"
    id: int = Field(primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)


class PlanRow(LedgerBase, table=True):
    __tablename__ = "plan"
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=500)
    doc_number: str | None = Field(default=None, max_length=100)
    jurisdiction: str | None = Field(default=None, max_length=100)
    issuers: list[str] | None = _json()
    issued_on: date | None = None
    due_on: date | None = None
    created_at: datetime | None = _ts()
    # The import that created the plan: its job, resumed or confirmed again, goes on with it.
    import_id: str | None = Field(default=None, max_length=64)


class MeasureRow(LedgerBase, table=True):
    __tablename__ = "measure"
    id: str = Field(primary_key=True, max_length=64)
    plan_id: str = Field(max_length=64, index=True)
    position: int = 0
    label: str = Field(max_length=50)
    path: list[str] | None = _json()
    title: str = Field(max_length=500)
    text: str
    due_on: date | None = None
    targets: list[dict[str, Any]] | None = _json()
    milestones: list[dict[str, Any]] | None = _json()


class TaskRow(LedgerBase, table=True):
    __tablename__ = "task"
    id: str = Field(primary_key=True, max_length=64)
    plan_id: str = Field(max_length=64, index=True)
    measure_id: str = Field(max_length=64, index=True)
    parent_task_id: str | None = Field(default=None, max_length=64, index=True)
    title: str = Field(max_length=500)
    lead_department_ids: list[str] | None = _json()
    supporting_department_ids: list[str] | None = _json()
    status: str = Field(max_length=30, index=True)
    due_on: date | None = Field(default=None, index=True)
    original_due_on: date | None = None
    start_on: date | None = None
    progress: int = 0
    escalation_level: str | None = Field(default=None, max_length=10)
    version: int = 0
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class TaskDepartmentRow(LedgerBase, table=True):
    """Which departments take part in a task, for the department filter and authorization."""

    __tablename__ = "task_department"
    task_id: str = Field(primary_key=True, max_length=64)
    department_id: str = Field(primary_key=True, max_length=64, index=True)
    role: str = Field(max_length=20)


class ProgressReportRow(LedgerBase, table=True):
    __tablename__ = "progress_report"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    department_id: str = Field(max_length=64)
    author_id: str = Field(max_length=64)
    percent: int
    done_work: str = ""
    next_steps: str = ""
    problems: str = ""
    coordination_needed: str = ""
    period: str | None = Field(default=None, max_length=7)
    created_at: datetime | None = _ts()


class AttachmentRow(LedgerBase, table=True):
    __tablename__ = "attachment"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    report_id: str = Field(max_length=64, index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    created_at: datetime | None = _ts()


class ExtensionRequestRow(LedgerBase, table=True):
    __tablename__ = "extension_request"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    requested_by: str = Field(max_length=64)
    requested_due_on: date
    previous_due_on: date | None = None
    reason: str
    decision: str | None = Field(default=None, max_length=20)
    decided_by: str | None = Field(default=None, max_length=64)
    comment: str | None = None
    created_at: datetime | None = _ts()
    decided_at: datetime | None = _ts(nullable=True)


class CompletionRequestRow(LedgerBase, table=True):
    __tablename__ = "completion_request"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    requested_by: str = Field(max_length=64)
    summary: str
    evidence: list[str] | None = _json()
    explanation: str | None = None  # 说明 when progress is below 100%
    decision: str | None = Field(default=None, max_length=20)
    decided_by: str | None = Field(default=None, max_length=64)
    comment: str | None = None
    created_at: datetime | None = _ts()
    decided_at: datetime | None = _ts(nullable=True)


class SupervisionNoticeRow(LedgerBase, table=True):
    __tablename__ = "supervision_notice"
    id: str = Field(primary_key=True, max_length=64)
    task_id: str = Field(max_length=64, index=True)
    department_id: str = Field(max_length=64, index=True)
    level: str = Field(max_length=10)
    requirements: str
    reply_due_on: date
    issued_by: str = Field(max_length=64)
    issued_at: datetime | None = _ts()
    answer: str | None = None
    answered_by: str | None = Field(default=None, max_length=64)
    answered_at: datetime | None = _ts(nullable=True)


class TimelineRow(LedgerBase, table=True):
    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_task_order", "task_id", "id"),)
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    )
    task_id: str = Field(max_length=64)
    at: datetime | None = _ts()
    kind: str = Field(max_length=40)
    summary: str
    actor_id: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] | None = _json()
    # Inbound events: (event id, task id) is unique, so a redelivery adds nothing.
    source_event_id: str | None = Field(default=None, max_length=36)


Index(
    "ux_timeline_source",
    TimelineRow.__table__.c.source_event_id,  # type: ignore[attr-defined]
    TimelineRow.__table__.c.task_id,  # type: ignore[attr-defined]
    unique=True,
)


class AuditRow(LedgerBase, table=True):
    """Append-only, hash-chained: `hash` covers this record and the previous record's hash."""

    __tablename__ = "audit_log"
    seq: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
        )
    )
    at: datetime | None = _ts()
    actor_id: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64, index=True)
    before: dict[str, Any] | None = _json()
    after: dict[str, Any] | None = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class InboxMessageRow(LedgerBase, table=True):
    """The in-app inbox (站内信), fed by NotificationSent events on the inbox channel."""

    __tablename__ = "inbox_message"
    id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64, index=True)
    notification_id: str = Field(max_length=64)
    subject: str = Field(max_length=500)
    body: str | None = None
    link: str | None = Field(default=None, max_length=500)
    task_ids: list[str] | None = _json()
    at: datetime | None = _ts()
    read_at: datetime | None = _ts(nullable=True)


class MonthlyReportRow(LedgerBase, table=True):
    """Monthly dispatch (月度调度) per department and period, from the watcher's events."""

    __tablename__ = "monthly_report"
    department_id: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=7)
    report_due_on: date
    requested_at: datetime | None = _ts(nullable=True)
    missing: bool = False
    consecutive_misses: int = 0
    escalation_level: str | None = Field(default=None, max_length=10)


class PlanImportRow(LedgerBase, table=True):
    __tablename__ = "plan_import"
    id: str = Field(primary_key=True, max_length=64)
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=64)
    created_at: datetime | None = _ts()
    preview: dict[str, Any] | None = _json()
    status: str = Field(default="previewed", max_length=20)
    plan_ids: list[str] | None = _json()
    # A large import confirmed in the background: measures done of all, and why it stopped.
    progress_done: int | None = None
    progress_total: int | None = None
    job_error: str | None = Field(default=None, max_length=500)
    # Until when the process running the job holds it (renewed with each batch); a lapsed
    # lease is taken over by another process (service_layer/import_jobs.resume_stalled).
    job_lease_until: datetime | None = _ts()


class PlanImportMeasureRow(LedgerBase, table=True):
    """One measure of an import's preview (the import's `preview` holds its documents without
    their measures), so a page of the preview or a batch of the background job reads only
    its own measures: a 100,000-measure preview is 90 MB of JSON."""

    __tablename__ = "plan_import_measure"
    import_id: str = Field(primary_key=True, max_length=64)
    document: int = Field(primary_key=True)  # the document's place in the file
    position: int = Field(primary_key=True)  # the measure's place in its document
    data: dict[str, Any] | None = _json(nullable=False)


class WriteQuotaRow(LedgerBase, table=True):
    """Writes per user and kind in the current fixed window (per-user rate limits): one row
    per user and kind, started again when a new window begins. Kept in the database so that
    every ledger process counts against the same limit."""

    __tablename__ = "write_quota"
    user_id: str = Field(primary_key=True, max_length=64)
    action: str = Field(primary_key=True, max_length=40)
    window_start: int = Field(sa_type=BigInteger)  # epoch seconds
    count: int = 0


metadata: MetaData = LedgerBase.metadata
outbox: Table = outbox_table(metadata, "outbox")
consumer_inbox: Table = inbox_table(metadata, "consumer_inbox")


def table(row: type[LedgerBase]) -> Table:
    return row.__table__  # type: ignore[attr-defined, no-any-return]


departments = table(DepartmentRow)
users = table(UserRow)
plans = table(PlanRow)
measures = table(MeasureRow)
tasks = table(TaskRow)
task_departments = table(TaskDepartmentRow)
progress_reports = table(ProgressReportRow)
attachments = table(AttachmentRow)
extension_requests = table(ExtensionRequestRow)
completion_requests = table(CompletionRequestRow)
supervision_notices = table(SupervisionNoticeRow)
timeline = table(TimelineRow)
audit_log = table(AuditRow)
inbox_messages = table(InboxMessageRow)
monthly_reports = table(MonthlyReportRow)
plan_imports = table(PlanImportRow)
plan_import_measures = table(PlanImportMeasureRow)
login_throttle = table(LoginThrottleRow)
auth_sessions = table(AuthSessionRow)
credential_epoch = table(CredentialEpochRow)
write_quota = table(WriteQuotaRow)
indicators = table(IndicatorRow)
indicator_values = table(IndicatorValueRow)
milestones_done = table(MilestoneDoneRow)
indicator_conflict_decisions = table(IndicatorConflictDecisionRow)
plan_links = table(PlanLinkRow)
measure_links = table(MeasureLinkRow)
