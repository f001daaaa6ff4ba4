"""Entities of the ledger: departments, users, plans, measures, tasks and what hangs off tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from duban_contracts.vocabulary import (
    Decision,
    EscalationLevel,
    JurisdictionLevel,
    Role,
    TaskStatus,
)
from task_ledger.domain.indicators import Tracked
from task_ledger.domain.milestones import MilestoneDue

# Higher rank = higher jurisdiction; decomposition goes strictly downwards.
LEVEL_RANK = {
    JurisdictionLevel.NATIONAL: 4,
    JurisdictionLevel.PROVINCE: 3,
    JurisdictionLevel.CITY: 2,
    JurisdictionLevel.COUNTY: 1,
    JurisdictionLevel.TOWN: 0,
}


@dataclass
class Department:
    id: str
    name: str
    jurisdiction: str
    level: JurisdictionLevel
    parent_id: str | None = None
    # Set when an administrator merged this duplicate into another department (retired).
    merged_into: str | None = None
    # A collective party (各县（市、区）人民政府, 各有关部门): a GROUP, not a unit. Its `level` is
    # its members' level; nobody is its liaison, it is not ranked, its tasks await expansion.
    collective: bool = False


@dataclass
class User:
    id: str
    username: str
    display_name: str
    role: Role
    department_id: str | None = None
    email: str | None = None
    active: bool = True
    # Supervisors and leadership members: the plans they oversee; empty means every plan
    # (the leadership-group office). Ignored for other roles.
    plan_ids: tuple[str, ...] = ()
    # Tokens and page sessions carry it; a password change, reset or deactivation bumps it.
    credential_version: int = 0
    # An initial or reset password: nothing but a password change until it is changed.
    must_change_password: bool = False
    # 企业微信/钉钉 ID (from a liaison list).
    im_id: str | None = None


@dataclass
class Plan:
    id: str
    title: str
    doc_number: str | None = None
    jurisdiction: str | None = None
    issuers: tuple[str, ...] = ()
    issued_on: date | None = None
    due_on: date | None = None


@dataclass
class Measure:
    id: str
    plan_id: str
    label: str
    path: tuple[str, ...]
    title: str
    text: str
    due_on: date | None = None
    targets: list[dict[str, Any]] = field(default_factory=list)
    milestones: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Task:
    id: str
    plan_id: str
    measure_id: str
    title: str
    lead_department_ids: tuple[str, ...]
    supporting_department_ids: tuple[str, ...] = ()
    status: TaskStatus = TaskStatus.DRAFT
    due_on: date | None = None
    original_due_on: date | None = None
    start_on: date | None = None
    progress: int = 0
    parent_task_id: str | None = None
    escalation_level: EscalationLevel | None = None
    version: int = 0
    # Its indicators with their current values, when the read side loaded them (never stored
    # with the task row; see adapters/repository/indicators.py).
    indicators: tuple[Tracked, ...] = ()
    # Its dated milestones (时间节点) and whether each was declared done, loaded alongside.
    milestones: tuple[MilestoneDue, ...] = ()

    @property
    def department_ids(self) -> tuple[str, ...]:
        return self.lead_department_ids + tuple(
            d for d in self.supporting_department_ids if d not in self.lead_department_ids
        )

    def role_of(self, department_id: str | None) -> str | None:
        if department_id in self.lead_department_ids:
            return "lead"
        if department_id in self.supporting_department_ids:
            return "supporting"
        return None


@dataclass(frozen=True)
class Attachment:
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass
class ProgressReport:
    id: str
    task_id: str
    department_id: str
    author_id: str
    percent: int
    done_work: str = ""
    next_steps: str = ""
    problems: str = ""
    coordination_needed: str = ""
    period: str | None = None
    attachments: tuple[Attachment, ...] = ()
    created_at: datetime | None = None


@dataclass
class ExtensionRequest:
    id: str
    task_id: str
    requested_by: str
    requested_due_on: date
    previous_due_on: date | None
    reason: str
    decision: Decision | None = None
    decided_by: str | None = None
    comment: str | None = None
    withdrawn: bool = False  # the requester took it back (with a completion request)

    @property
    def pending(self) -> bool:
        return self.decision is None and not self.withdrawn


@dataclass
class CompletionRequest:
    id: str
    task_id: str
    requested_by: str
    summary: str
    evidence: tuple[str, ...] = ()  # notes naming the evidence (older requests: the only kind)
    decision: Decision | None = None
    decided_by: str | None = None
    comment: str | None = None
    # Why the work is done although progress is below 100% (说明); required then.
    explanation: str = ""
    files: tuple[Attachment, ...] = ()  # uploaded evidence (佐证材料)


@dataclass
class SupervisionNotice:
    id: str
    task_id: str
    department_id: str
    level: EscalationLevel
    requirements: str
    reply_due_on: date
    issued_by: str
    answer: str | None = None
    answered_by: str | None = None


@dataclass(frozen=True)
class TimelineEntry:
    task_id: str
    at: datetime
    kind: str
    summary: str
    actor_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    source_event_id: str | None = None
