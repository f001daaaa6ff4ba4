"""The ledger's write command without HTTP: progress reports through the service layer.

What a report costs the ledger's own process once FastAPI, the middlewares and the sockets are
taken away, on the plain path and with the group-commit accelerator (`DUBAN_WRITE_BATCHING`,
`task_ledger.service_layer.write_batches`): 16 concurrent callers of `report_progress`, in
process, no broker (the relay is not running), on SQLite and on PostgreSQL. Keys
`ledger.commands.<store>.<path>.reports_per_s` and `.cpu_per_report`.
Just this part: `python -m bench task_ledger_commands`.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import BenchContext, Result, entry
from bench.task_ledger_http import prepare_tasks

REPORTS = 3_000
CALLERS = 16


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _reports(database_url: str, workdir: Path, batching: bool) -> tuple[float, float]:
    """(reports per second, CPU seconds per report) of REPORTS reports from CALLERS callers."""
    from task_ledger.adapters import repository as repo
    from task_ledger.entrypoints.http import create_app
    from task_ledger.service_layer import handlers as h
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    settings = Settings(
        database_url=database_url,
        upload_dir=str(workdir / "uploads"),
        environment="test",
        password_policy=False,
        write_batching=batching,
        write_limits={"progress_report": 10**9},
    )
    ledger = Ledger(settings)
    app = create_app(settings, ledger=ledger, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            pairs = await prepare_tasks(client)
            users: dict[str, Any] = {}
            targets = []
            for task_id, headers in pairs:
                me = (await client.get("/api/me", headers=headers)).json()
                if me["id"] not in users:
                    async with ledger.reading() as conn:
                        users[me["id"]] = await repo.get_user(conn, me["id"])
                targets.append((task_id, users[me["id"]]))
        numbers = iter(range(REPORTS))

        async def caller() -> None:
            for n in numbers:
                task_id, user = targets[n % len(targets)]
                data = h.ReportInput(n % 100, "推进劳务品牌建设")
                await h.report_progress(ledger, user, task_id, data, count_write=True)

        cpu0, t0 = _cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(CALLERS)))
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    return REPORTS / wall, cpu / REPORTS


async def _run(ctx: BenchContext) -> Result:
    results: Result = {}
    for store, url in ctx.stores():
        for path, batching in (("plain", False), ("group_commit", True)):
            workdir = Path(ctx.workdir) / f"commands-{uuid.uuid4().hex[:6]}"
            workdir.mkdir(parents=True)
            with contextlib.ExitStack() as stack:
                if url is None:
                    database_url = f"sqlite:///{workdir / 'ledger.db'}"
                else:  # each run starts from an empty ledger, in a database of its own
                    (database_url,) = stack.enter_context(ctx.fresh_databases(1))
                rate, cpu = await _reports(database_url, workdir, batching)
            prefix = f"ledger.commands.{store}.{path}"
            results[f"{prefix}.reports_per_s"] = entry(rate, "reports/s")
            results[f"{prefix}.cpu_per_report"] = entry(cpu * 1000, "ms")
    return results


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx))
