"""Who may see and do what. A liaison sees only tasks where their department takes part."""

from __future__ import annotations

from duban_contracts.vocabulary import Role
from task_ledger.domain.model import Task, User

OVERSEERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.LEADERSHIP})
DECIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
DEPARTMENT_ROLES = frozenset({Role.LIAISON, Role.DEPARTMENT_HEAD})


def can_view_task(user: User, task: Task) -> bool:
    if not user.active:
        return False
    if user.role in OVERSEERS:
        return True
    return user.role in DEPARTMENT_ROLES and task.role_of(user.department_id) is not None


def is_decider(user: User) -> bool:
    """Supervisors (and admins) dispatch, decide completions and extensions, issue notices."""
    return user.active and user.role in DECIDERS


def is_lead_liaison(user: User, task: Task) -> bool:
    return (
        user.active
        and user.role in DEPARTMENT_ROLES
        and user.department_id in task.lead_department_ids
    )


def can_report(user: User, task: Task) -> bool:
    """Only liaisons of the task's lead or supporting departments fill in progress."""
    return (
        user.active and user.role == Role.LIAISON and task.role_of(user.department_id) is not None
    )


def visible_department(user: User) -> str | None:
    """The department a user's task lists are restricted to (None: sees every task)."""
    return None if user.role in OVERSEERS else (user.department_id or "-")
