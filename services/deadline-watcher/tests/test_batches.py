"""A batch of inbound events in one transaction (`handlers.handle_batch`), on both stores:
each event applied once, in order; one that fails takes the batch's transaction back with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import structlog
from sqlalchemy import event, select

from deadline_watcher.adapters.tables import progress_reports, tasks
from deadline_watcher.service_layer import handlers
from duban_common.batch_consumer import Inbound
from duban_contracts import Envelope, Message
from duban_contracts.events import ProgressReported, TaskDispatched, TaskRegistered

from .conftest import Watcher

pytestmark = pytest.mark.integration

DUE = date(2026, 6, 30)


def inbound(message: Message) -> Inbound:
    return Inbound(Envelope.wrap(message, producer="task-ledger"), message)


def report(
    task_id: str,
    department: str,
    period: str,
    n: int,
    *,
    milestones_done: tuple[str, ...] = (),
    at: datetime | None = None,
    traceparent: str | None = None,
) -> Inbound:
    message = ProgressReported(
        task_id=task_id,
        report_id=f"r-{n}",
        department_id=department,
        percent=n,
        period=period,
        milestones_done=milestones_done,
    )
    envelope = Envelope.wrap(message, producer="task-ledger", occurred_at=at)
    return Inbound(envelope, message, traceparent=traceparent)


async def registered(watcher: Watcher, *task_ids: str) -> None:
    for task_id in task_ids:
        await watcher.send(
            TaskRegistered(
                task_id=task_id,
                plan_id="plan-b",
                plan_title="方案",
                measure_id=f"m-{task_id}",
                title=f"任务{task_id}",
                lead_department_ids=("hrss",),
                due_on=DUE,
            )
        )
        await watcher.send(TaskDispatched(task_id=task_id, due_on=DUE))


async def stored_reports(watcher: Watcher) -> list[tuple[str, str]]:
    async with watcher.ctx.engine.connect() as conn:
        rows = await conn.execute(select(progress_reports.c.task_id, progress_reports.c.period))
        return sorted((r.task_id, r.period) for r in rows)


async def test_a_batch_is_one_transaction_and_a_repeated_event_counts_once(
    watcher: Watcher,
) -> None:
    await registered(watcher, "A", "B")
    batch = [report("A", "hrss", f"2025-{m:02d}", m) for m in range(1, 10)]
    batch += [batch[0], report("B", "hrss", "2025-09", 10)]  # the first again, and B
    commits: list[int] = []
    event.listen(watcher.ctx.engine.sync_engine, "commit", lambda _: commits.append(1))

    await handlers.handle_batch(watcher.ctx, batch)
    await handlers.handle_batch(watcher.ctx, batch[:3])  # redelivered: nothing changes

    assert len(commits) == 2
    assert await stored_reports(watcher) == sorted(
        [("A", f"2025-{m:02d}") for m in range(1, 10)] + [("B", "2025-09")]
    )
    async with watcher.ctx.engine.connect() as conn:
        active = dict((await conn.execute(select(tasks.c.task_id, tasks.c.last_activity_at))).all())
    assert active["A"] is not None and active["B"] is not None


async def test_a_failing_event_takes_its_batch_back_and_fails_alone(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    await registered(watcher, "A")
    real = handlers.HANDLERS[ProgressReported]

    async def poisoned(conn: Any, ctx: Any, env: Envelope, m: Any, now: Any) -> Any:
        if m.percent == 66:
            raise ValueError("无法处理的进展")
        return await real(conn, ctx, env, m, now)

    monkeypatch.setitem(handlers.HANDLERS, ProgressReported, poisoned)
    # Reports declaring a milestone done go through their handler one by one (plain ones are
    # written together, `service_layer.activity`).
    good = report("A", "hrss", "2025-10", 1, milestones_done=("m1",))
    bad = report("A", "hrss", "2025-11", 66, milestones_done=("m1",))
    with pytest.raises(ValueError, match="无法处理"):
        await handlers.handle_batch(watcher.ctx, [good, bad])
    assert await stored_reports(watcher) == []  # the batch's transaction rolled back whole
    # The batch consumer then hands each over alone: the good one is stored, the bad fails.
    await handlers.handle_batch(watcher.ctx, [good])
    with pytest.raises(ValueError, match="无法处理"):
        await handlers.handle_batch(watcher.ctx, [bad])
    assert await stored_reports(watcher) == [("A", "2025-10")]


async def last_activity(watcher: Watcher) -> dict[str, tuple[datetime | None, str | None]]:
    async with watcher.ctx.engine.connect() as conn:
        rows = await conn.execute(
            select(tasks.c.task_id, tasks.c.last_activity_at, tasks.c.traceparent)
        )
        return {r.task_id: (r.last_activity_at, r.traceparent) for r in rows}


def trace(n: int) -> str:
    return f"00-{n:032x}-{n:016x}-01"


async def test_a_batchs_plain_reports_are_written_together_in_its_order(
    watcher: Watcher,
) -> None:
    await registered(watcher, "A", "B")
    t = [datetime(2026, 3, day, 9, tzinfo=UTC) for day in range(1, 8)]
    batch = [
        report("A", "hrss", "2026-01", 1, at=t[0], traceparent=trace(1)),
        report("B", "hrss", "2026-01", 2, at=t[1], traceparent=trace(2)),
        report("A", "edu", "2026-02", 3, at=t[3], traceparent=trace(3)),
        # Declares a milestone done: handled alone, after the reports before it are written,
        # so its older time is the last activity until a later report (B's stays t[1]…)
        report("A", "hrss", "2026-02", 4, at=t[2], milestones_done=("m1",)),
        report("B", "edu", "2026-02", 5, at=t[4]),  # no traceparent: B keeps its trace
        report("Z", "hrss", "2026-02", 6, at=t[5]),  # a task the watcher does not know
    ]
    statements: list[str] = []
    event.listen(
        watcher.ctx.engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )

    with structlog.testing.capture_logs() as logs:
        await handlers.handle_batch(watcher.ctx, batch)

    assert await stored_reports(watcher) == [
        ("A", "2026-01"),
        ("A", "2026-02"),
        ("A", "2026-02"),
        ("B", "2026-01"),
        ("B", "2026-02"),
        ("Z", "2026-02"),
    ]
    active = await last_activity(watcher)
    assert active["A"][0] == t[2]  # the milestone report came after A's t[3] report
    assert active["B"] == (t[4], trace(2))
    assert "Z" not in active
    assert {"event": "unknown_task", "task_id": "Z"}.items() <= logs[-1].items()
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO PROGRESS")]
    assert len(inserts) == 3  # the run before the milestone report, the milestone's, the rest
