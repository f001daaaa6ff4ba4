"""Decomposition (分解): a task split into child tasks for lower jurisdictions; and the event
announcing a new task, which plan imports emit too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from duban_contracts import events as ev
from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.domain import authz, jurisdiction, lifecycle
from task_ledger.domain.errors import DomainError, NotAllowed
from task_ledger.domain.model import Department, Task, User
from task_ledger.service_layer.handlers.frame import TaskCommand, new_id, run_command
from task_ledger.service_layer.uow import Ledger, Transaction


@dataclass(frozen=True)
class ChildSpec:
    title: str
    lead_department_ids: tuple[str, ...]
    supporting_department_ids: tuple[str, ...] = ()
    due_on: date | None = None


def _lead_or_decider(user: User, task: Task) -> bool:
    return authz.is_lead_liaison(user, task) or authz.is_decider(user)


async def decompose(
    ledger: Ledger, user: User, task_id: str, children: Sequence[ChildSpec]
) -> list[Task]:
    async with run_command(
        ledger,
        user,
        task_id,
        action="decompose",
        allowed=_lead_or_decider,
        refusal="只有牵头单位或督查人员可以分解任务",
    ) as c:
        parent = c.task
        wanted = {
            d for s in children for d in (*s.lead_department_ids, *s.supporting_department_ids)
        }
        deps = await repo.get_departments(c.tx.conn, [*wanted, *parent.lead_department_ids])
        missing = sorted(wanted - deps.keys())
        if missing:
            raise DomainError(f"单位不存在：{'、'.join(missing)}")
        await _check_areas(c, deps, wanted)
        lifecycle.check_decomposition(
            parent,
            [deps[d] for d in parent.lead_department_ids if d in deps],
            [([deps[d] for d in s.lead_department_ids], s.due_on) for s in children],
        )
        created = [await _create_child(c, spec) for spec in children]
        c.emit(
            ev.TaskDecomposed(
                task_id=parent.id, actor_id=user.id, child_task_ids=tuple(t.id for t in created)
            )
        )
        c.timeline(
            "decomposed",
            f"分解为 {len(created)} 项下级任务",
            child_task_ids=[t.id for t in created],
        )
    return created


# Parent links are followed this far up (town → county → city → province → nation).
MAX_DEPTH = 8


async def _check_areas(c: TaskCommand, deps: dict[str, Department], wanted: set[str]) -> None:
    """Children go only to departments inside the decomposer's area: a lead liaison's own
    department's, a supervisor's the parent task's lead departments' (`domain.jurisdiction`)."""
    parent, user = c.task, c.user
    if authz.is_lead_liaison(user, parent) and user.department_id in deps:
        areas = [deps[user.department_id]]
    else:
        areas = [deps[d] for d in parent.lead_department_ids if d in deps]
    for _ in range(MAX_DEPTH):
        parents = {d.parent_id for d in deps.values() if d.parent_id} - deps.keys()
        if not parents:
            break
        deps.update(await repo.get_departments(c.tx.conn, sorted(parents)))
    for dep_id in sorted(wanted):
        dep = deps[dep_id]
        if not any(jurisdiction.lies_within(dep, area, deps) for area in areas):
            where = "、".join(dict.fromkeys(a.jurisdiction for a in areas))
            raise NotAllowed(
                f"“{dep.name}”（{dep.jurisdiction}）不在{where}管辖范围内，不能分解给该单位"
            )


async def _create_child(c: TaskCommand, spec: ChildSpec) -> Task:
    parent, user, tx = c.task, c.user, c.tx
    child = Task(
        id=new_id("task"),
        plan_id=parent.plan_id,
        measure_id=parent.measure_id,
        title=spec.title,
        lead_department_ids=spec.lead_department_ids,
        supporting_department_ids=spec.supporting_department_ids,
        status=TaskStatus.DISPATCHED,
        due_on=spec.due_on,
        original_due_on=spec.due_on,
        start_on=tx.today,
        parent_task_id=parent.id,
    )
    await repo.insert_task(tx.conn, child, tx.now)
    await register_events(tx, child, user, plan_title=None)
    tx.emit(
        ev.TaskDispatched(
            task_id=child.id,
            actor_id=user.id,
            due_on=child.due_on,
            department_ids=child.department_ids,
            parent_task_id=child.parent_task_id,
        )
    )
    tx.timeline(
        child.id,
        "dispatched",
        f"由上级任务分解交办：{parent.title[:100]}",
        user.id,
        parent_task_id=parent.id,
    )
    tx.audit(user.id, "task.create", "task", child.id, None, repo.task_snapshot(child))
    return child


async def register_events(
    tx: Transaction, task: Task, actor: User | None, plan_title: str | None
) -> None:
    """Announce a new task (TaskRegistered); `plan_title` None: read from the plan."""
    if plan_title is None:
        title = await repo.plan_title(tx.conn, task.plan_id)
        plan_title = task.plan_id if title is None else title
    tx.emit(
        ev.TaskRegistered(
            task_id=task.id,
            actor_id=actor.id if actor else None,
            plan_id=task.plan_id,
            plan_title=plan_title[:500],
            measure_id=task.measure_id,
            parent_task_id=task.parent_task_id,
            title=task.title[:500],
            lead_department_ids=task.lead_department_ids,
            supporting_department_ids=task.supporting_department_ids,
            due_on=task.due_on,
            status=task.status,
        )
    )
