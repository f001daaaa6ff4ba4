"""Concurrent progress reports: each is stored once with its trace, and a refused or failing
request costs the others nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import Api, ledger_settings, running_api
from sqlalchemy import event, func, select

from duban_common.telemetry import setup_tracing
from duban_contracts import Envelope
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import verify_chain
from task_ledger.service_layer import uow

pytestmark = pytest.mark.integration


@pytest.fixture(params=[False, True], ids=["plain", "group-commit"])
async def api(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    """Both write paths: each report a transaction of its own, and the group-commit
    accelerator (service_layer/write_batches.py), which must leave exactly the same."""
    settings = ledger_settings(db_url, tmp_path, write_batching=request.param)
    async with running_api(settings) as api:
        yield api


async def _count(api: Api, table: object, **where: str) -> int:
    query = select(func.count()).select_from(table)  # type: ignore[arg-type]
    for column, value in where.items():
        query = query.where(getattr(table.c, column) == value)  # type: ignore[attr-defined]
    async with api.ledger.reading() as conn:
        return int(await conn.scalar(query) or 0)


async def test_concurrent_reports_are_each_stored_and_refusals_reach_only_their_sender(
    api: Api,
) -> None:
    setup_tracing("task-ledger-test")
    await api.import_seed()
    sup = await api.login("supervisor")
    tasks = (await api.client.get("/api/tasks", params={"page_size": 4}, headers=sup)).json()
    ready = []
    for task in tasks["items"][:3]:
        lead = await api.liaison_of(task["lead_department_ids"][0])
        assert (await api.client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)).is_success
        assert (
            await api.client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)
        ).is_success
        ready.append((task["id"], lead))
    undispatched = tasks["items"][3]
    stranger_task = ready[0][0]
    first = tasks["items"][0]
    involved = set(first["lead_department_ids"] + first["supporting_department_ids"])
    departments = (await api.client.get("/api/departments", headers=sup)).json()
    stranger = await api.liaison_of(next(d["id"] for d in departments if d["id"] not in involved))

    async def report(task_id: str, headers: dict[str, str], percent: int) -> int:
        r = await api.client.post(
            f"/api/tasks/{task_id}/progress-reports",
            data={"percent": str(percent), "done_work": f"第{percent}次"},
            headers={**headers, "traceparent": f"00-{percent:032x}-00f067aa0ba902b7-01"},
        )
        return r.status_code

    good = [(ready[n % 3][0], ready[n % 3][1], n + 1) for n in range(30)]
    bad = [
        (stranger_task, stranger, 91),  # another department's task: 404, audited
        (undispatched["id"], await api.liaison_of(undispatched["lead_department_ids"][0]), 92),
    ]
    commits = []
    event.listen(api.ledger.write_engine.sync_engine, "commit", lambda _: commits.append(1))
    codes = await asyncio.gather(*(report(*args) for args in good + bad))
    assert codes[:30] == [201] * 30
    assert codes[30:] == [404, 422]  # not dispatched yet: no reports

    # Every good report stored once with its timeline entry, event and audit record.
    assert await _count(api, t.progress_reports) == 30
    for task_id, _ in ready:
        assert await _count(api, t.timeline, task_id=task_id, kind="progress") == 10
    reported = [Envelope.from_bytes(x.body) for x in await api.outbox("task.progress_reported")]
    assert sorted(e.payload["percent"] for e in reported) == list(range(1, 31))
    # Each event carries the trace of the request that caused it.
    assert all(
        int((e.traceparent or "0-0").split("-")[1], 16) == e.payload["percent"] for e in reported
    )
    async with api.ledger.reading() as conn:
        actions = Counter((await conn.execute(select(t.audit_log.c.action))).scalars())
    assert actions["progress.report"] == 30 and actions["access.denied"] == 1
    assert (await verify_chain(api.ledger.engine)).ok
    if api.ledger.batches is not None:  # reports arriving together shared transactions
        assert len(commits) < 30


async def in_transaction(ledger: uow.Ledger, step: Any) -> Any:
    async with ledger.transaction() as tx:
        return await step(tx)


async def test_a_failing_step_fails_alone_and_leaves_nothing(api: Api) -> None:
    def step(n: int) -> Any:
        async def run(tx: uow.Transaction) -> int:
            await asyncio.sleep(0)  # steps yield, as real ones do on the database
            tx.timeline(f"task-group-{n}", "progress", f"第{n}步", None)
            if n == 7:
                raise ValueError("第 7 步出错")
            return n

        return run

    outcomes = await asyncio.gather(
        *(in_transaction(api.ledger, step(n)) for n in range(5, 10)), return_exceptions=True
    )
    assert outcomes[:2] == [5, 6] and outcomes[3:] == [8, 9]
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "第 7 步出错"
    async with api.ledger.reading() as conn:
        kept = (await conn.execute(select(t.timeline.c.task_id))).scalars().all()
    assert sorted(kept) == [f"task-group-{n}" for n in (5, 6, 8, 9)]
