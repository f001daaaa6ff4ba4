"""Turn an inbound event into a Notice: who is told, how urgently, with which facts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from duban_contracts import Message
from duban_contracts import commands as c
from duban_contracts import events as e
from duban_contracts.vocabulary import EscalationLevel, ReminderKind, Role
from notifier.domain.decisions import DECISION_BUILDERS
from notifier.domain.model import Audience, Kind, Notice, liaisons

# The messages that tell people something (each has a builder below).
NOTICE_MESSAGES: tuple[type[Message], ...] = (
    e.ReminderDue,
    e.TaskOverdue,
    e.EscalationRaised,
    e.ReportRequested,
    e.ReportMissing,
    e.SupervisionNoticeIssued,
    e.SupervisionNoticeAnswered,
    c.SendManualReminder,
    *DECISION_BUILDERS,
    c.SendReportReminder,
)
HANDLED_EVENT_TYPES = frozenset(cls.EVENT_TYPE for cls in NOTICE_MESSAGES)


def department_audience(level: EscalationLevel, departments: tuple[str, ...]) -> Audience:
    """The department side of the ladder: 蓝 → the liaisons; 橙 and 红 → the liaisons and
    the department's head (分管领导 or 主要负责人), who must act now."""
    roles = (
        {Role.LIAISON} if level is EscalationLevel.BLUE else {Role.LIAISON, Role.DEPARTMENT_HEAD}
    )
    return Audience(departments=departments, department_roles=frozenset(roles))


def overseer_audience(level: EscalationLevel, plan_id: str | None = None) -> Audience | None:
    """The supervision side: 橙 → the supervisors of the plan; 红 → the leadership group of
    the plan as well; 蓝 → nobody (the department handles it). Overseers of `plan_id` are
    the ones scoped to it and the unscoped ones (see Audience)."""
    if level is EscalationLevel.BLUE:
        return None
    roles = (
        {Role.SUPERVISOR} if level is EscalationLevel.ORANGE else {Role.SUPERVISOR, Role.LEADERSHIP}
    )
    return Audience(global_roles=frozenset(roles), plan_id=plan_id)


def escalation_audience(
    level: EscalationLevel, departments: tuple[str, ...], plan_id: str | None = None
) -> Audience:
    """Everyone a step of the ladder reaches (department side and overseers)."""
    audience = department_audience(level, departments)
    overseers = overseer_audience(level, plan_id)
    return audience | overseers if overseers else audience


def notices_for(message: Message, event_id: str) -> tuple[Notice, ...]:
    """The notices for a message (none for messages the notifier does not deliver).

    Facts name departments by id (`department_ids`) and may lack the task title (notices
    carry only the task id); `named_facts` fills in names from the directory when sending.
    """
    builder = _BUILDERS.get(type(message))
    if builder is None:
        return ()
    built = builder(message, event_id)
    return built if isinstance(built, tuple) else (built,)


def named_facts(
    facts: dict[str, Any],
    task_id: str | None,
    titles: dict[str, str],
    departments: dict[str, str],
) -> dict[str, Any]:
    """Facts with the task title and department names the event itself did not carry."""
    named = dict(facts)
    if task_id and not named.get("task_title"):
        named["task_title"] = titles.get(task_id, f"任务 {task_id}")
    ids = named.get("department_ids")
    if ids:
        named["departments"] = "、".join(departments.get(i, i) for i in ids)
        named["department"] = departments.get(ids[0], ids[0])
    return named


def _title(m: e.ReminderDue | e.TaskOverdue | e.EscalationRaised) -> str:
    """A milestone's (时间节点) notice names it beside the task: its date is not the task's."""
    return f"{m.task_title}（{m.milestone}）"[:500] if m.milestone else m.task_title


def _reminder(m: e.ReminderDue, event_id: str) -> Notice:
    overdue = m.kind is ReminderKind.OVERDUE or m.working_days_left < 0
    return Notice(
        kind=Kind.OVERDUE if overdue else Kind.REMINDER,
        source_key=m.dedupe_key,
        source_event_id=event_id,
        audience=liaisons(m.department_ids),
        task_id=m.task_id,
        facts={
            "task_title": _title(m),
            "due_on": m.due_on.isoformat(),
            "working_days_left": max(m.working_days_left, 0),
            "working_days_late": max(-m.working_days_left, 0),
            "reminder_kind": m.kind.value,
            # The monthly 报送 deadline, not the task's own: worded and grouped apart.
            "report_due": m.kind is ReminderKind.REPORT_DEADLINE,
        },
    )


def _overdue(m: e.TaskOverdue, event_id: str) -> Notice:
    return Notice(
        kind=Kind.OVERDUE,
        source_key=m.dedupe_key,
        source_event_id=event_id,
        audience=liaisons(m.department_ids),
        task_id=m.task_id,
        facts={
            "task_title": _title(m),
            "due_on": m.due_on.isoformat(),
            "working_days_late": m.working_days_late,
        },
    )


def _escalation(m: e.EscalationRaised, event_id: str) -> tuple[Notice, ...]:
    """The lead department hears at once; the overseers get it in their digest (one message
    per window listing the tasks by light), not one message per task."""
    lead = m.lead_department_ids or m.department_ids  # older producers: every department
    department = Notice(
        kind=Kind.ESCALATION,
        source_key=m.dedupe_key,
        source_event_id=event_id,
        audience=department_audience(m.level, lead),
        task_id=m.task_id,
        urgent=True,
        facts={
            "task_title": _title(m),
            "due_on": m.due_on.isoformat(),
            "working_days_late": m.working_days_late,
            "working_days_left": m.working_days_left,
            "level": m.level.value,
            "level_label": m.level.label,
            "reason": m.reason,
            "department_ids": list(lead),
        },
    )
    overseers = overseer_audience(m.level, m.plan_id)
    if overseers is None:
        return (department,)
    return department, dataclasses.replace(department, audience=overseers, collect=True)


def _report_requested(m: e.ReportRequested, event_id: str) -> Notice:
    return Notice(
        kind=Kind.REPORT_REQUESTED,
        source_key=m.dedupe_key,
        source_event_id=event_id,
        audience=liaisons((m.department_id,)),
        task_id=None,
        facts={
            "period": m.period,
            "report_due_on": m.report_due_on.isoformat(),
            "open_task_count": len(m.open_task_ids),
        },
    )


def _report_missing(m: e.ReportMissing, event_id: str) -> Notice:
    departments = (m.department_id,)
    audience = liaisons(departments)
    if m.escalation_level is not None:
        audience = audience | escalation_audience(m.escalation_level, departments)
    return Notice(
        kind=Kind.REPORT_MISSING,
        source_key=m.dedupe_key,
        source_event_id=event_id,
        audience=audience,
        task_id=None,
        urgent=m.escalation_level is not None,
        facts={
            "period": m.period,
            "report_due_on": m.report_due_on.isoformat(),
            "consecutive_misses": m.consecutive_misses,
            "level_label": m.escalation_level.label if m.escalation_level else None,
            "department_ids": [m.department_id],
        },
    )


def _notice_issued(m: e.SupervisionNoticeIssued, event_id: str) -> Notice:
    return Notice(
        kind=Kind.NOTICE_ISSUED,
        source_key=event_id,
        source_event_id=event_id,
        audience=Audience(
            departments=(m.department_id,),
            department_roles=frozenset({Role.LIAISON, Role.DEPARTMENT_HEAD}),
        ),
        task_id=m.task_id,
        urgent=True,
        facts={
            "task_title": None,
            "level_label": m.level.label,
            "requirements": m.requirements,
            "reply_due_on": m.reply_due_on.isoformat(),
            "department_ids": [m.department_id],
        },
    )


def _notice_answered(m: e.SupervisionNoticeAnswered, event_id: str) -> Notice:
    return Notice(
        kind=Kind.NOTICE_ANSWERED,
        source_key=event_id,
        source_event_id=event_id,
        audience=Audience(global_roles=frozenset({Role.SUPERVISOR})),
        task_id=m.task_id,
        urgent=True,
        facts={
            "task_title": None,
            "answer": m.answer,
            "department_ids": [m.department_id],
        },
    )


def _manual(m: c.SendManualReminder, event_id: str) -> Notice:
    audience = liaisons(m.department_ids)
    if m.level is not None:
        audience = audience | escalation_audience(m.level, m.department_ids)
    return Notice(
        kind=Kind.MANUAL,
        source_key=event_id,
        source_event_id=event_id,
        audience=audience,
        task_id=m.task_id,
        urgent=True,  # a person pressed 催办: deliver now
        facts={
            "task_title": m.task_title,
            "message": m.message,
            "level_label": m.level.label if m.level else None,
            "requested_by": m.requested_by,
        },
    )


def _report_reminder(m: c.SendReportReminder, event_id: str) -> Notice:
    """催报 pressed by a supervisor: the missing-report notice, delivered now, once per press."""
    return Notice(
        kind=Kind.REPORT_MISSING,
        source_key=event_id,
        source_event_id=event_id,
        audience=liaisons((m.department_id,)),
        task_id=None,
        urgent=True,
        facts={
            "period": m.period,
            "report_due_on": m.report_due_on.isoformat(),
            "consecutive_misses": m.consecutive_misses,
            "level_label": None,
            "department_ids": [m.department_id],
        },
    )


_BUILDERS: dict[type[Any], Callable[[Any, str], Notice | tuple[Notice, ...]]] = {
    e.ReminderDue: _reminder,
    e.TaskOverdue: _overdue,
    e.EscalationRaised: _escalation,
    e.ReportRequested: _report_requested,
    e.ReportMissing: _report_missing,
    e.SupervisionNoticeIssued: _notice_issued,
    e.SupervisionNoticeAnswered: _notice_answered,
    c.SendManualReminder: _manual,
    **DECISION_BUILDERS,
    c.SendReportReminder: _report_reminder,
}
