"""What a consumed progress report costs the deadline watcher (`handlers.handle_batch`).

Every liaison's every report reaches the watcher; at the whole-system bench's 500 reports/s it
was the watcher's largest cost. Here batches of BATCH reports over TASKS tasks go through
`handle_batch` in process (no broker: the batch consumer's decoding is not counted), on SQLite
and on PostgreSQL. Keys `watcher.batches.<store>.cpu_per_report` (CPU milliseconds).
Just this part: `python -m bench deadline_watcher_batches`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import date, datetime
from pathlib import Path

from bench.common import BenchContext, Result, entry

TASKS = 50
BATCH = 200
BATCHES = 30


async def _cpu_per_report(url: str) -> float:
    from deadline_watcher.bootstrap import MIGRATIONS
    from deadline_watcher.service_layer import handlers
    from deadline_watcher.service_layer.context import WatcherContext
    from deadline_watcher.settings import Settings
    from duban_common.batch_consumer import Inbound
    from duban_common.clock import CHINA, ManualClock
    from duban_common.migrations import upgrade
    from duban_contracts import Envelope
    from duban_contracts.events import ProgressReported, TaskDispatched, TaskRegistered

    upgrade(url, MIGRATIONS)
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA))
    ctx = WatcherContext.from_settings(Settings(database_url=url, environment="test"), clock=clock)
    task_ids = [f"task-{n}" for n in range(TASKS)]
    for task_id in task_ids:
        for message in (
            TaskRegistered(
                task_id=task_id,
                plan_id="plan-bench",
                plan_title="方案",
                measure_id=f"m-{task_id}",
                title=task_id,
                lead_department_ids=("hrss",),
                due_on=date(2026, 12, 31),
            ),
            TaskDispatched(task_id=task_id, due_on=date(2026, 12, 31)),
        ):
            await handlers.handle(ctx, Envelope.wrap(message, producer="task-ledger"), message)

    def report(n: int) -> Inbound:
        message = ProgressReported(
            task_id=task_ids[n % TASKS],
            report_id=f"r-{n}",
            department_id="hrss",
            percent=n % 100,
        )
        envelope = Envelope.wrap(message, producer="task-ledger")
        return Inbound(envelope, message, traceparent=f"00-{n + 1:032x}-{n + 1:016x}-01")

    batches = [[report(b * BATCH + i) for i in range(BATCH)] for b in range(BATCHES)]
    t0 = time.process_time()
    for batch in batches:
        await handlers.handle_batch(ctx, batch)
    cpu = time.process_time() - t0
    await ctx.engine.dispose()
    return cpu / (BATCH * BATCHES) * 1000


async def _run(ctx: BenchContext) -> Result:
    results: Result = {}
    for store, url in ctx.stores():
        workdir = Path(ctx.workdir) / f"watcher-batches-{uuid.uuid4().hex[:6]}"
        workdir.mkdir(parents=True)
        ms = await _cpu_per_report(url or f"sqlite:///{workdir / 'watcher.db'}")
        results[f"watcher.batches.{store}.cpu_per_report"] = entry(ms, "ms")
    return results


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx))
