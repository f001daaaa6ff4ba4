"""Milestones (时间节点) of a task: announced to the deadline-watcher (TaskMilestonesSet), which
reminds and escalates each like the task's own deadline, and closed by a progress report that
declares one done with its evidence."""

from __future__ import annotations

from typing import Any

from duban_contracts import events as ev
from task_ledger.adapters import repository as repo
from task_ledger.domain.errors import DomainError
from task_ledger.domain.milestones import keyed
from task_ledger.domain.model import Task, User
from task_ledger.service_layer.uow import Transaction


def announce(tx: Transaction, task: Task, milestones: list[dict[str, Any]], actor: User) -> None:
    """Tell the watcher the task's milestones (nothing when the measure has none)."""
    found = keyed(milestones)
    if not found:
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
