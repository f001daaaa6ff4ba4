"""The command frame every task handler runs in (`handlers.frame.run_command`): it refuses
before the handler's body runs, stores nothing of a command that fails, and audits the task's
change with its before/after snapshots."""

from __future__ import annotations

from typing import Any

import pytest
from ledger_helpers import Api
from sqlalchemy import func, select

from duban_contracts import events as ev
from duban_contracts.vocabulary import JurisdictionLevel, Role, TaskStatus
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import verify_chain
from task_ledger.domain import authz, lifecycle
from task_ledger.domain.errors import DomainError, NotAllowed
from task_ledger.domain.model import Department, Measure, Plan, Task, User
from task_ledger.service_layer import directory
from task_ledger.service_layer.handlers import AccessDenied
from task_ledger.service_layer.handlers.frame import decider, run_command

pytestmark = pytest.mark.integration

LEAD = User("user-frame-lead", "frame-lead", "甲局联络员", Role.LIAISON, "dep-frame-a")
OTHER = User("user-frame-other", "frame-other", "乙局联络员", Role.LIAISON, "dep-frame-b")
TASK_ID = "task-frame"


async def _prepare(api: Api) -> None:
    """One dispatched task led by department A; liaisons of A and of B (who takes no part)."""
    async with api.ledger.transaction() as tx:
        for dep_id, name in (("dep-frame-a", "甲局"), ("dep-frame-b", "乙局")):
            dep = Department(dep_id, name, "测试省", JurisdictionLevel.PROVINCE)
            await repo.upsert_department(tx.conn, dep)
        await repo.insert_plan(tx.conn, Plan("plan-frame", "测试方案"), tx.now)
        measure = Measure("msr-frame", "plan-frame", "一", ("一",), "测试措施", "测试措施正文")
        await repo.insert_measure(tx.conn, measure, 0)
        task = Task(
            TASK_ID, "plan-frame", "msr-frame", "测试任务", ("dep-frame-a",),
            status=TaskStatus.DISPATCHED,
        )  # fmt: skip
        await repo.insert_task(tx.conn, task, tx.now)
        for user in (LEAD, OTHER):
            await repo.insert_user(tx.conn, user, "-")


async def _counts(api: Api) -> dict[str, int]:
    async with api.ledger.reading() as conn:
        return {
            table.name: int(await conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (t.outbox, t.audit_log, t.timeline, t.tasks)
        }


async def _supervisor(api: Api) -> User:
    async with api.ledger.reading() as conn:
        user = await repo.get_user(conn, directory.SUPERVISOR_ID)
    assert user is not None
    return user


async def test_a_failing_command_stores_nothing(api: Api) -> None:
    await _prepare(api)
    before = await _counts(api)
    with pytest.raises(DomainError, match="中止"):
        async with run_command(
            api.ledger, LEAD, TASK_ID, action="test", stored_as="task.test"
        ) as c:
            c.status_changed(lifecycle.transition(c.task, TaskStatus.ACKNOWLEDGED))
            c.emit(ev.TaskClosed(task_id=TASK_ID, actor_id=LEAD.id))
            c.audit("test.record", "task", TASK_ID, {"x": 1})
            raise DomainError("中止")
    assert await _counts(api) == before
    async with api.ledger.reading() as conn:
        task = await repo.get_task(conn, TASK_ID)
    assert task is not None and task.status == TaskStatus.DISPATCHED


async def test_the_frame_refuses_before_the_body_runs(api: Api) -> None:
    await _prepare(api)
    entered: list[str] = []

    async def attempt(user: User, task_id: str, **rule: Any) -> None:
        async with run_command(api.ledger, user, task_id, action="probe", **rule):
            entered.append(user.id)

    with pytest.raises(AccessDenied) as denied:
        await attempt(OTHER, TASK_ID)  # a department taking no part sees no such task
    assert denied.value.exists and denied.value.action == "probe"
    with pytest.raises(AccessDenied) as missing:
        await attempt(LEAD, "task-none")
    assert not missing.value.exists
    with pytest.raises(NotAllowed, match="只有督查人员"):
        await attempt(LEAD, TASK_ID, allowed=decider, refusal="只有督查人员可以试")
    assert entered == []
    await attempt(await _supervisor(api), TASK_ID, allowed=decider, refusal="-")
    await attempt(LEAD, TASK_ID, allowed=authz.is_lead_liaison, refusal="-")
    assert entered == [directory.SUPERVISOR_ID, LEAD.id]


async def test_a_stored_command_audits_the_change_with_its_event_and_timeline(api: Api) -> None:
    await _prepare(api)
    before = await _counts(api)
    async with run_command(
        api.ledger,
        LEAD,
        TASK_ID,
        action="test",
        allowed=authz.is_lead_liaison,
        refusal="-",
        stored_as="task.test",
    ) as c:
        c.status_changed(lifecycle.transition(c.task, TaskStatus.ACKNOWLEDGED))
    after = await _counts(api)
    assert after["outbox"] == before["outbox"] + 1  # TaskStatusChanged
    assert after["timeline"] == before["timeline"] + 1
    assert after["audit_log"] == before["audit_log"] + 1
    async with api.ledger.reading() as conn:
        task = await repo.get_task(conn, TASK_ID)
        last = (
            await conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq.desc()).limit(1))
        ).one()
    assert task is not None and task.status == TaskStatus.ACKNOWLEDGED
    assert (last.action, last.actor_id, last.entity_id) == ("task.test", LEAD.id, TASK_ID)
    assert last.before["status"] == TaskStatus.DISPATCHED.value
    assert last.after["status"] == TaskStatus.ACKNOWLEDGED.value
    assert (await api.outbox(ev.TaskStatusChanged.EVENT_TYPE))[-1].key == TASK_ID
    assert (await verify_chain(api.ledger.engine)).ok
