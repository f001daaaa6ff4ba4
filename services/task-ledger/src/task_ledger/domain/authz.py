"""Who may see and do what. A liaison sees only tasks where their department takes part."""

from __future__ import annotations

from collections.abc import Sequence

from duban_contracts.vocabulary import Role
from task_ledger.domain.model import Task, User

OVERSEERS = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.LEADERSHIP})
DECIDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
DEPARTMENT_ROLES = frozenset({Role.LIAISON, Role.DEPARTMENT_HEAD})


SCOPED_ROLES = frozenset({Role.SUPERVISOR, Role.LEADERSHIP})


def plan_scope(user: User) -> tuple[str, ...] | None:
    """The plans an overseer is limited to; None: every plan (admins, unscoped overseers)."""
    if user.role in SCOPED_ROLES and user.plan_ids:
        return user.plan_ids
    return None


def can_view_plan(user: User, plan_id: str) -> bool:
    """Plan-wide views (reports, overviews) are for overseers whose scope covers the plan."""
    if not user.active or user.role not in OVERSEERS:
        return False
    scope = plan_scope(user)
    return scope is None or plan_id in scope


def can_manage_import(user: User, uploaded_by: str) -> bool:
    """A plan import belongs to its uploader: a supervisor limited to some plans lists, reads,
    corrects and confirms only their own; admins and unscoped supervisors (who oversee every
    plan) handle all of them."""
    if not is_decider(user):
        return False
    return plan_scope(user) is None or uploaded_by == user.id


def can_view_task(user: User, task: Task) -> bool:
    if not user.active:
        return False
    if user.role in OVERSEERS:
        return can_view_plan(user, task.plan_id)
    return user.role in DEPARTMENT_ROLES and task.role_of(user.department_id) is not None


def oversees_split(user: User, ancestors: Sequence[Task]) -> bool:
    """A department that split a task (lead of one of its ancestors) follows the child tasks
    it handed down: it may read them, but acts on them only through its own task."""
    return (
        user.active
        and user.role in DEPARTMENT_ROLES
        and any(user.department_id in a.lead_department_ids for a in ancestors)
    )


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
