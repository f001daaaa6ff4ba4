"""Turning domain objects into JSON for the API (and, later, the pages)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from task_ledger.domain.light import is_overdue, light
from task_ledger.domain.model import (
    CompletionRequest,
    Department,
    ExtensionRequest,
    ProgressReport,
    SupervisionNotice,
    Task,
    User,
)


def task_view(task: Task, today: date, warning_days: int) -> dict[str, Any]:
    lamp = light(task, today, warning_days)
    return {
        "id": task.id,
        "plan_id": task.plan_id,
        "measure_id": task.measure_id,
        "parent_task_id": task.parent_task_id,
        "title": task.title,
        "lead_department_ids": list(task.lead_department_ids),
        "supporting_department_ids": list(task.supporting_department_ids),
        "status": task.status.value,
        "status_label": task.status.label,
        "due_on": task.due_on,
        "original_due_on": task.original_due_on,
        "start_on": task.start_on,
        "progress": task.progress,
        "light": lamp.value,
        "light_label": lamp.label,
        "overdue": is_overdue(task, today),
        "escalation_level": task.escalation_level.value if task.escalation_level else None,
        "version": task.version,
    }


def department_view(dep: Department) -> dict[str, Any]:
    return {
        "id": dep.id,
        "name": dep.name,
        "jurisdiction": dep.jurisdiction,
        "level": dep.level.value,
        "level_label": dep.level.label,
        "parent_id": dep.parent_id,
    }


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "role_label": user.role.label,
        "department_id": user.department_id,
        "email": user.email,
        "active": user.active,
        "plan_ids": list(user.plan_ids),
    }


def report_view(report: ProgressReport) -> dict[str, Any]:
    data = asdict(report)
    data["attachments"] = [asdict(a) for a in report.attachments]
    return data


def request_view(request: ExtensionRequest | CompletionRequest | SupervisionNotice) -> dict:
    data = asdict(request)
    for key in ("decision", "level"):
        if data.get(key) is not None:
            data[key] = data[key].value
    return data


def aware(at: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; the API always says which zone it means."""
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def timeline_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": aware(row.at),
        "kind": row.kind,
        "summary": row.summary,
        "actor_id": row.actor_id,
        "data": row.data or {},
    }
