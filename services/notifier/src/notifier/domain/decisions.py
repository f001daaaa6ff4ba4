"""Notices for the task's decisions and requests: each reaches whoever must act next.

- a decision on a department's request (退回, 同意办结, 同意/不同意延期) and the 销号 go back
  to the liaisons of the lead department that asked, with the approver's comment;
- a new completion or extension request goes to the supervisors overseeing the task's plan
  (the handler fills in the plan from the task);
- a task dispatched (交办) or decomposed (分解) to departments goes to their liaisons.

Each is keyed by its event id, so one recipient gets it once on each of their channels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from duban_contracts import Message
from duban_contracts import events as e
from duban_contracts.vocabulary import Decision, Role
from notifier.domain.model import Audience, Kind, Notice, liaisons

SUPERVISORS = Audience(global_roles=frozenset({Role.SUPERVISOR}))


def _decision(event_id: str, m: Any, label: str, comment: str | None, **facts: Any) -> Notice:
    return Notice(
        kind=Kind.DECISION,
        source_key=event_id,
        source_event_id=event_id,
        audience=liaisons(m.department_ids),
        task_id=m.task_id,
        urgent=True,  # the department waits on it
        facts={
            "task_title": None,
            "decision_label": label,
            "comment": (comment or "").strip(),
            "department_ids": list(m.department_ids),
            **facts,
        },
    )


def completion_decided(m: e.CompletionDecided, event_id: str) -> Notice:
    label = "同意办结" if m.decision is Decision.APPROVED else "退回"
    return _decision(event_id, m, label, m.comment, subject_of="办结申请", due_on=None)


def extension_decided(m: e.ExtensionDecided, event_id: str) -> Notice:
    approved = m.decision is Decision.APPROVED
    label = "同意延期" if approved else "不同意延期"
    due_on = m.due_on.isoformat() if approved and m.due_on else None
    return _decision(event_id, m, label, m.comment, subject_of="延期申请", due_on=due_on)


def task_closed(m: e.TaskClosed, event_id: str) -> Notice:
    return _decision(event_id, m, "销号", None, subject_of="任务", due_on=None)


def _request(event_id: str, m: Any, what: str, **facts: Any) -> Notice:
    return Notice(
        kind=Kind.REQUEST,
        source_key=event_id,
        source_event_id=event_id,
        audience=SUPERVISORS,
        task_id=m.task_id,
        facts={
            "task_title": None,
            "request_label": what,
            "department_ids": list(m.department_ids),
            **facts,
        },
    )


def completion_requested(m: e.CompletionRequested, event_id: str) -> Notice:
    return _request(
        event_id,
        m,
        "办结申请",
        text=m.summary,
        requested_due_on=None,
        evidence_count=len(m.evidence),
    )


def extension_requested(m: e.ExtensionRequested, event_id: str) -> Notice:
    return _request(
        event_id,
        m,
        "延期申请",
        text=m.reason,
        requested_due_on=m.requested_due_on.isoformat(),
        evidence_count=0,
    )


def task_dispatched(m: e.TaskDispatched, event_id: str) -> Notice:
    return Notice(
        kind=Kind.DISPATCHED,
        source_key=event_id,
        source_event_id=event_id,
        audience=liaisons(m.department_ids),
        task_id=m.task_id,
        facts={
            "task_title": None,
            "due_on": m.due_on.isoformat() if m.due_on else None,
            "decomposed": m.parent_task_id is not None,
            "department_ids": list(m.department_ids),
        },
    )


DECISION_BUILDERS: dict[type[Message], Callable[[Any, str], Notice]] = {
    e.CompletionDecided: completion_decided,
    e.ExtensionDecided: extension_decided,
    e.TaskClosed: task_closed,
    e.CompletionRequested: completion_requested,
    e.ExtensionRequested: extension_requested,
    e.TaskDispatched: task_dispatched,
}
