"""A task's plain status transitions: dispatch (交办), acknowledge (签收), start, close (销号)."""

from __future__ import annotations

from duban_contracts import events as ev
from duban_contracts.vocabulary import TaskStatus
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.model import Task, User
from task_ledger.service_layer.handlers.frame import decider, run_command
from task_ledger.service_layer.uow import Ledger


async def dispatch(ledger: Ledger, user: User, task_id: str) -> Task:
    async with run_command(
        ledger,
        user,
        task_id,
        action="dispatch",
        allowed=decider,
        refusal="只有督查人员可以交办任务",
        stored_as="task.dispatch",
    ) as c:
        previous = lifecycle.dispatch(c.task, c.tx.today)
        c.emit(
            ev.TaskDispatched(
                task_id=c.task.id,
                actor_id=user.id,
                due_on=c.task.due_on,
                department_ids=c.task.department_ids,
            )
        )
        c.status_changed(previous)
    return c.task


async def acknowledge(ledger: Ledger, user: User, task_id: str) -> Task:
    async with run_command(
        ledger,
        user,
        task_id,
        action="acknowledge",
        allowed=authz.is_lead_liaison,
        refusal="只有牵头单位可以签收任务",
        stored_as="task.acknowledge",
    ) as c:
        previous = lifecycle.transition(c.task, TaskStatus.ACKNOWLEDGED)
        assert user.department_id is not None
        c.emit(
            ev.TaskAcknowledged(
                task_id=c.task.id, actor_id=user.id, department_id=user.department_id
            )
        )
        c.status_changed(previous)
    return c.task


async def start(ledger: Ledger, user: User, task_id: str) -> Task:
    async with run_command(
        ledger,
        user,
        task_id,
        action="start",
        allowed=authz.is_lead_liaison,
        refusal="只有牵头单位可以开始办理",
        stored_as="task.start",
    ) as c:
        c.status_changed(lifecycle.transition(c.task, TaskStatus.IN_PROGRESS))
    return c.task


async def close(ledger: Ledger, user: User, task_id: str) -> Task:
    async with run_command(
        ledger,
        user,
        task_id,
        action="close",
        allowed=decider,
        refusal="只有督查人员可以销号",
        stored_as="task.close",
    ) as c:
        previous = lifecycle.transition(c.task, TaskStatus.CLOSED)
        c.emit(
            ev.TaskClosed(
                task_id=c.task.id, actor_id=user.id, department_ids=c.task.lead_department_ids
            )
        )
        c.status_changed(previous)
    return c.task
