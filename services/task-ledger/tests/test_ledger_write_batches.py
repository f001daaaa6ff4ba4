"""The group-commit accelerator (service_layer/write_batches.py): commands sharing a
transaction leave what each would leave alone, and one command's trouble is nobody else's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import Api, ledger_settings, running_api
from sqlalchemy import event, func, insert, select

from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import verify_chain
from task_ledger.service_layer import uow

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    settings = ledger_settings(
        db_url, tmp_path, write_batching=True, write_limits={"progress_report": 5}
    )
    async with running_api(settings) as api:
        yield api


def count_commits(ledger: uow.Ledger) -> list[int]:
    commits: list[int] = []
    event.listen(ledger.write_engine.sync_engine, "commit", lambda _: commits.append(1))
    return commits


async def timeline_of(ledger: uow.Ledger) -> list[str]:
    async with ledger.reading() as conn:
        rows = await conn.execute(select(t.timeline.c.task_id).order_by(t.timeline.c.id))
        return sorted(rows.scalars())


def step(n: int, *, fails: bool = False, writes_then_fails: bool = False) -> Callable[..., Any]:
    """A command: notes a timeline row (sent at commit); may write a row itself and fail."""

    async def run(tx: uow.Transaction) -> int:
        await asyncio.sleep(0)  # commands yield, as real ones do on the database
        tx.timeline(f"task-step-{n}", "progress", f"第{n}步", None)
        if writes_then_fails:
            row = {"task_id": f"task-step-{n}", "at": tx.now, "kind": "x", "summary": "写入"}
            await tx.conn.execute(insert(t.timeline), row)
        if fails or writes_then_fails:
            raise ValueError(f"第 {n} 步出错")
        return n

    return run


async def ready_tasks(
    api: Api, tasks: list[dict[str, Any]], sup: dict[str, str]
) -> list[tuple[str, dict[str, str]]]:
    """Dispatch and acknowledge each task: (task id, its lead liaison's headers)."""
    ready = []
    for task in tasks:
        lead = await api.liaison_of(task["lead_department_ids"][0])
        assert (await api.client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)).is_success
        r = await api.client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)
        assert r.is_success
        ready.append((task["id"], lead))
    return ready


async def report(api: Api, task_id: str, headers: dict[str, str], n: int) -> int:
    r = await api.client.post(
        f"/api/tasks/{task_id}/progress-reports",
        data={"percent": str(n), "done_work": f"第{n}次"},
        headers=headers,
    )
    return r.status_code


async def test_commands_arriving_together_share_a_commit(api: Api) -> None:
    commits = count_commits(api.ledger)
    results = await asyncio.gather(*(api.ledger.write(step(n)) for n in range(20)))
    assert results == list(range(20))
    assert await timeline_of(api.ledger) == sorted(f"task-step-{n}" for n in range(20))
    assert len(commits) < 20


async def test_a_command_failing_before_it_wrote_fails_alone(api: Api) -> None:
    commands = [step(n, fails=n == 7) for n in range(12)]
    outcomes = await asyncio.gather(
        *(api.ledger.write(c) for c in commands), return_exceptions=True
    )
    assert [o for o in outcomes if not isinstance(o, BaseException)] == [
        n for n in range(12) if n != 7
    ]
    assert str(outcomes[7]) == "第 7 步出错"
    assert await timeline_of(api.ledger) == sorted(f"task-step-{n}" for n in range(12) if n != 7)


async def test_a_command_failing_after_it_wrote_sends_the_batch_back_to_the_plain_path(
    api: Api,
) -> None:
    commits = count_commits(api.ledger)
    commands = [step(n, writes_then_fails=n == 3) for n in range(10)]
    outcomes = await asyncio.gather(
        *(api.ledger.write(c) for c in commands), return_exceptions=True
    )
    assert str(outcomes[3]) == "第 3 步出错"  # its own error, from its run on the plain path
    assert [o for n, o in enumerate(outcomes) if n != 3] == [n for n in range(10) if n != 3]
    # Nothing of the failed command, everything of the others, each once.
    assert await timeline_of(api.ledger) == sorted(f"task-step-{n}" for n in range(10) if n != 3)
    assert commits  # the others committed (in batches or alone)


async def test_a_failed_commit_runs_every_command_again_alone(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_flush = uow.Transaction.flush
    failures = []

    async def flaky_flush(self: uow.Transaction) -> None:
        shared = len(self.timeline_rows) > 1  # a batch's commit, not a replay's
        await real_flush(self)
        if shared and not failures:
            failures.append(1)
            raise ConnectionError("数据库连接中断")

    monkeypatch.setattr(uow.Transaction, "flush", flaky_flush)
    results = await asyncio.gather(*(api.ledger.write(step(n)) for n in range(8)))
    assert failures and results == list(range(8))
    assert await timeline_of(api.ledger) == sorted(f"task-step-{n}" for n in range(8))


async def test_reports_over_the_write_limit_are_refused_and_the_rest_stored(api: Api) -> None:
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 50}, headers=sup)).json()
    by_lead = {task["lead_department_ids"][0]: task for task in tasks["items"]}
    # Two liaisons: a limit each.
    ready = await ready_tasks(api, list(by_lead.values())[:2], sup)
    (first, first_lead), (second, second_lead) = ready
    codes = await asyncio.gather(
        *(report(api, first, first_lead, n) for n in range(1, 9)),  # 8 reports, limit 5
        *(report(api, second, second_lead, n) for n in range(11, 15)),
    )
    assert sorted(codes[:8]) == [201] * 5 + [429] * 3
    assert codes[8:] == [201] * 4
    async with api.ledger.reading() as conn:
        stored = await conn.scalar(select(func.count()).select_from(t.progress_reports))
        counted = await conn.scalar(select(func.sum(t.write_quota.c.count)))
    assert stored == 9 and counted == 9  # refused reports left no count behind
    assert (await verify_chain(api.ledger.engine)).ok


async def test_a_batchs_row_writes_go_out_together_and_later_commands_read_them(
    api: Api,
) -> None:
    """Reports wait for their batch's commit and go out as one insert per kind; a report on a
    task an earlier report of the batch changed reads that change (its status and version)."""
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 50}, headers=sup)).json()
    ready = await ready_tasks(api, tasks["items"][:5], sup)
    api.ledger.settings.write_limits = {}
    inserts: list[int] = []

    def count_report_inserts(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PROGRESS_REPORT"):
            inserts.append(len(params) if isinstance(params, list) else 1)

    event.listen(api.ledger.write_engine.sync_engine, "before_cursor_execute", count_report_inserts)

    codes = await asyncio.gather(*(report(api, *ready[n % 5], n + 1) for n in range(10)))
    assert codes == [201] * 10
    assert sum(inserts) == 10 and len(inserts) < 10  # several reports per statement
    for n, (task_id, _) in enumerate(ready):
        detail = (await api.client.get(f"/api/tasks/{task_id}", headers=sup)).json()
        assert detail["progress_reports_total"] == 2
        assert {r["percent"] for r in detail["progress_reports"]} == {n + 1, n + 6}
        async with api.ledger.reading() as conn:  # the timeline keeps the order they ran in
            summaries = await conn.execute(
                select(t.timeline.c.summary)
                .where(t.timeline.c.task_id == task_id, t.timeline.c.kind == "progress")
                .order_by(t.timeline.c.id)
            )
            last = list(summaries.scalars())[-1]
        assert last == f"填报进展 {detail['progress']}%"  # the later report's percent stands
        assert detail["status"] == "in_progress"
    async with api.ledger.reading() as conn:
        versions = await conn.execute(
            select(t.tasks.c.id, t.tasks.c.version).where(t.tasks.c.id.in_([i for i, _ in ready]))
        )
        after = dict(versions.all())
    assert len(set(after.values())) == 1  # each task's second report saw its first
    assert (await verify_chain(api.ledger.engine)).ok


async def test_a_batch_locks_the_tasks_of_waiting_commands_in_one_statement(api: Api) -> None:
    """The first command of a batch loads its task and those of the commands behind it in one
    statement; a task whose changes still wait in the batch is not read from the database
    before they are sent, even after a refused command on it dropped it from the batch's
    tasks (each later report on it sees the earlier: one version step per report)."""
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 50}, headers=sup)).json()
    ready = await ready_tasks(api, tasks["items"][:5], sup)
    api.ledger.settings.write_limits = {}
    async with api.ledger.reading() as conn:
        rows = await conn.execute(select(t.tasks.c.id, t.tasks.c.version))
        before = dict(rows.all())
    loads: list[str] = []

    def count_task_loads(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if (
            statement.lstrip().upper().startswith("SELECT")
            and "FROM tasks \nWHERE tasks.id" in statement
        ):
            loads.append(statement)

    event.listen(api.ledger.write_engine.sync_engine, "before_cursor_execute", count_task_loads)
    (x, lead_x), (y, lead_y) = ready[0], ready[1]
    calls = [
        report(api, x, lead_x, 11),
        report(api, x, sup, 12),  # refused before it wrote: a supervisor does not report
        report(api, y, lead_y, 13),
        report(api, x, lead_x, 14),
        *(report(api, task_id, lead, 20 + n) for n, (task_id, lead) in enumerate(ready)),
    ]
    codes = await asyncio.gather(*calls)
    assert codes == [201, 403, 201, 201, 201, 201, 201, 201, 201]
    assert len(loads) < 8  # eight reports, fewer task loads
    async with api.ledger.reading() as conn:
        rows = await conn.execute(select(t.tasks.c.id, t.tasks.c.version))
        after = dict(rows.all())
    # A task's first report also starts it (a status change): one step more.
    steps = {x: 4, y: 3} | {task_id: 2 for task_id, _ in ready[2:]}
    assert {i: after[i] - before[i] for i in steps} == steps
    assert (await verify_chain(api.ledger.engine)).ok


async def test_a_batch_counts_its_writes_together_at_its_commit(api: Api) -> None:
    """Rate-limited writes of a batch are counted in one statement when it commits, per user;
    every stored report counted once, a refused one not at all."""
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 50}, headers=sup)).json()
    ready = await ready_tasks(api, tasks["items"][:5], sup)
    api.ledger.settings.write_limits = {"progress_report": 100}
    counts: list[int] = []

    def count_quota_statements(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO WRITE_QUOTA"):
            counts.append(len(params) if isinstance(params, list) else 1)

    event.listen(
        api.ledger.write_engine.sync_engine, "before_cursor_execute", count_quota_statements
    )
    calls = [report(api, *ready[n % 5], n + 1) for n in range(10)]
    codes = await asyncio.gather(*calls, report(api, ready[0][0], sup, 50))
    assert codes == [201] * 10 + [403]
    assert len(counts) < 10
    async with api.ledger.reading() as conn:
        rows = await conn.execute(select(t.write_quota.c.user_id, t.write_quota.c.count))
        counted = dict(rows.all())
    leads = {(await api.client.get("/api/me", headers=lead)).json()["id"] for _, lead in ready}
    assert sum(counted.values()) == 10 and set(counted) == leads
