"""Milestones (时间节点) of a task: announced to the deadline-watcher (TaskMilestonesSet), which
reminds and escalates each like the task's own deadline, closed by a progress report that
declares one done with its evidence, and edited by a supervisor after import (the watcher
replans from the new whole set)."""

from __future__ import annotations

from typing import Any

from duban_contracts import events as ev
from task_ledger.adapters import repository as repo
from task_ledger.adapters.repository import cascade as links
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed
from task_ledger.domain.milestones import Wanted, edited, keyed
from task_ledger.domain.model import Task, User
from task_ledger.service_layer.handlers.frame import load_task
from task_ledger.service_layer.uow import Ledger, Transaction


def announce(
    tx: Transaction,
    task: Task,
    milestones: list[dict[str, Any]],
    actor: User,
    even_none: bool = False,
) -> None:
    """Tell the watcher the task's milestones (nothing when the measure has none, unless an
    edit dropped the last ones: `even_none`)."""
    found = keyed(milestones)
    if not found and not even_none:
        return
    tx.emit(
        ev.TaskMilestonesSet(
            task_id=task.id,
            actor_id=actor.id,
            milestones=tuple(
                ev.Milestone(key=m["key"], due_on=m["due_on"], text=m["text"][:500]) for m in found
            ),
        )
    )


async def of_task(conn: Any, task: Task) -> list[dict[str, Any]]:
    """The task's milestones with whether (and by which report) each was declared done."""
    done = await repo.milestones_done(conn, task.id)
    return [
        {**m, "done": m["key"] in done, "report_id": getattr(done.get(m["key"]), "report_id", None)}
        for m in keyed(await repo.measure_milestones(conn, task.measure_id))
    ]


async def check_done(
    conn: Any, task: Task, keys: tuple[str, ...], done_work: str, attachments: int
) -> None:
    """Only the task's open milestones, and never without evidence (a description of the work
    done or an attachment)."""
    if not keys:
        return
    milestones = {m["key"]: m for m in await of_task(conn, task)}
    unknown = [k for k in keys if k not in milestones]
    if unknown:
        raise DomainError(f"任务没有这些时间节点：{'、'.join(unknown)}")
    if any(milestones[k]["done"] for k in keys):
        raise DomainError("该时间节点已报告完成")
    if not done_work.strip() and not attachments:
        raise DomainError("报告时间节点完成须填写已完成工作或上传佐证材料")


async def edit(
    ledger: Ledger, actor: User, task_id: str, wanted: list[Wanted]
) -> list[dict[str, Any]]:
    """A supervisor's new set of the task's milestones (change a date or text, add, drop): the
    measure keeps it and every task of the measure announces it. Sending the same set again
    changes and announces nothing."""
    async with ledger.transaction() as tx:
        task = await load_task(tx, actor, task_id, "milestones")  # locked: one edit at a time
        if not authz.is_decider(actor):
            raise NotAllowed("只有督查人员可以修改时间节点")
        if task.parent_task_id is not None:
            raise DomainError("时间节点属于措施的任务，请在上级任务中修改")
        if not task.status.is_open:
            raise DomainError("任务已办结，不能修改时间节点")
        stored = await repo.measure_milestones(tx.conn, task.measure_id)
        updated = edited(stored, wanted)
        if updated != stored:
            await repo.set_measure_milestones(tx.conn, task.measure_id, updated)
            for row in await links.measure_tasks(tx.conn, [task.measure_id]):
                announce(tx, repo.task_from(row), updated, actor, even_none=True)
            tx.audit(
                actor.id,
                "task.milestones",
                "task",
                task.id,
                {"milestones": _described(stored)},
                {"milestones": _described(updated)},
            )
        return await of_task(tx.conn, task)


def _described(milestones: list[dict[str, Any]]) -> list[str]:
    return [f"{m['key']} {m['due_on'].isoformat()} {m['text']}" for m in keyed(milestones)]
