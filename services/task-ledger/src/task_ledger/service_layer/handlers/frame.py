"""The frame every command on a task runs in: load (locked) → authorize → snapshot → the
handler's domain transition, events and timeline → audit and store the task.

`run_command` opens a transaction of its own (and counts the write against the user's rate
limit in it, `counted_as`); `command_in` runs in a transaction it is given. Either way the
change, its outbox events, its timeline entries and its audit records are stored together or
not at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from duban_contracts import Envelope, Message
from duban_contracts import events as ev
from duban_contracts.ids import uuid7
from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import NotAllowed
from task_ledger.domain.model import Task, User
from task_ledger.service_layer import rate_limits
from task_ledger.service_layer.uow import Ledger, Transaction

# Who may run a command on a task (beyond seeing it).
Rule = Callable[[User, Task], bool]


class AccessDenied(Exception):
    """The task does not exist for this user (not found, or another department's task).

    The HTTP layer answers 404 and writes the attempt to the audit trail."""

    def __init__(self, task_id: str, action: str, exists: bool) -> None:
        super().__init__(task_id)
        self.task_id = task_id
        self.action = action
        self.exists = exists


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid7().hex}"


def require(condition: bool, message: str) -> None:
    if not condition:
        raise NotAllowed(message)


def decider(user: User, task: Task) -> bool:
    return authz.is_decider(user)


async def load_task(
    tx: Transaction, user: User, task_id: str, action: str, for_update: bool = True
) -> Task:
    task = await tx.task(task_id, for_update=for_update)
    if task is None or not authz.can_view_task(user, task):
        raise AccessDenied(task_id, action, exists=task is not None)
    return task


async def may_read(conn: Any, user: User, task: Task) -> bool:
    """Whether `user` sees `task`: taking part in it, or having split one of its ancestors."""
    if authz.can_view_task(user, task):
        return True
    if task.parent_task_id is None or user.role not in authz.DEPARTMENT_ROLES:
        return False
    return authz.oversees_split(user, await repo.get_ancestors(conn, task))


async def read_task(conn: Any, user: User, task_id: str, action: str) -> Task:
    """Load a task for reading; another department's task is refused like a missing one."""
    task = await repo.get_task(conn, task_id)
    if task is None or not await may_read(conn, user, task):
        raise AccessDenied(task_id, action, exists=task is not None)
    (task,) = await repo.with_indicators(conn, [task])  # the light counts the numbers too
    return task


def status_changed(
    tx: Transaction, task: Task, previous: TaskStatus, actor: User | None, reason: str | None = None
) -> None:
    actor_id = actor.id if actor else None
    tx.emit(
        ev.TaskStatusChanged(
            task_id=task.id,
            actor_id=actor_id,
            from_status=previous,
            to_status=task.status,
            reason=reason,
        )
    )
    summary = f"状态由“{previous.label}”变为“{task.status.label}”"
    tx.timeline(
        task.id,
        "status",
        summary + (f"：{reason}" if reason else ""),
        actor_id,
        from_status=previous.value,
        to_status=task.status.value,
    )


async def store(
    tx: Transaction, task: Task, before: dict[str, Any], actor: User | None, action: str
) -> None:
    """Save the task, audit its change, and roll its progress up to its parent."""
    tx.defer(repo.task_save(task, tx.now))
    tx.audit(actor.id if actor else None, action, "task", task.id, before, repo.task_snapshot(task))
    if task.parent_task_id:
        await _roll_up(tx, task.parent_task_id, actor)


async def _roll_up(tx: Transaction, parent_id: str, actor: User | None) -> None:
    await tx.write_deferred()  # the children are read from the database
    parent = await tx.task(parent_id)
    if parent is None:
        return
    before = repo.task_snapshot(parent)
    children = await repo.get_children(tx.conn, parent_id)
    old_progress = parent.progress
    previous = lifecycle.roll_up(parent, children)
    if previous is not None:
        status_changed(tx, parent, previous, None, "下级任务已开始办理")
    if parent.progress != old_progress or previous is not None:
        tx.timeline(
            parent.id,
            "rollup",
            f"下级任务汇总进度 {parent.progress}%",
            None,
            percent=parent.progress,
        )
        await store(tx, parent, before, actor, "task.roll_up")


@dataclass
class TaskCommand:
    """One user's command on one loaded, authorized task; what the handler body works with."""

    tx: Transaction
    user: User
    task: Task
    before: dict[str, Any]  # the task's audit snapshot before the command

    def emit(self, message: Message) -> Envelope:
        return self.tx.emit(message)

    def timeline(self, kind: str, summary: str, **data: Any) -> None:
        self.tx.timeline(self.task.id, kind, summary, self.user.id, **data)

    def audit(self, action: str, entity: str, entity_id: str, after: Any) -> None:
        """A record created by the command (the task's own change is audited by the frame)."""
        self.tx.audit(self.user.id, action, entity, entity_id, None, after)

    def status_changed(self, previous: TaskStatus, reason: str | None = None) -> None:
        status_changed(self.tx, self.task, previous, self.user, reason)


@contextlib.asynccontextmanager
async def command_in(
    tx: Transaction,
    user: User,
    task_id: str,
    *,
    action: str,
    allowed: Rule | None = None,
    refusal: str = "",
    stored_as: str | None = None,
    for_update: bool = True,
) -> AsyncIterator[TaskCommand]:
    """The frame in a given transaction. `action` names the attempt AccessDenied reports;
    `allowed`/`refusal`: who may, and the refusal otherwise; `stored_as`: the audit action of
    the task's change (None: the command leaves the task as it is)."""
    task = await load_task(tx, user, task_id, action, for_update)
    if allowed is not None:
        require(allowed(user, task), refusal)
    command = TaskCommand(tx, user, task, repo.task_snapshot(task))
    yield command
    if stored_as is not None:
        await store(tx, task, command.before, user, stored_as)


@contextlib.asynccontextmanager
async def run_command(
    ledger: Ledger,
    user: User,
    task_id: str,
    *,
    action: str,
    allowed: Rule | None = None,
    refusal: str = "",
    stored_as: str | None = None,
    for_update: bool = True,
    counted_as: str | None = None,
) -> AsyncIterator[TaskCommand]:
    """The frame in a transaction of its own (see `command_in`). `counted_as`: the kind of
    write it counts as against the user's rate limit, first thing in the same transaction."""
    async with ledger.transaction() as tx:
        if counted_as is not None:
            await rate_limits.count_in(tx, ledger.settings, user, counted_as)
        async with command_in(
            tx,
            user,
            task_id,
            action=action,
            allowed=allowed,
            refusal=refusal,
            stored_as=stored_as,
            for_update=for_update,
        ) as command:
            yield command
