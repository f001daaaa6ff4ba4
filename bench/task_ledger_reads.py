"""What the API's reads cost the ledger: a task view, a task list page and an inbox page.

The whole-system mix (`bench.system`) is as much reads as writes, and a read costs more than a
report. Here, in process (the app through httpx's ASGI transport: no sockets, no uvicorn), on a
task with REPORTS progress reports: CPU milliseconds per request of `GET /api/tasks/{id}`,
`GET /api/tasks?page_size=20` and `GET /api/me/inbox`, on SQLite and on PostgreSQL. Keys
`ledger.reads.<store>.<read>_cpu`. Just this part: `python -m bench task_ledger_reads`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx

from bench.common import BenchContext, Result, entry
from bench.task_ledger_http import prepare_tasks

REPORTS = 300
WARM_UP = 20
REQUESTS = 300


async def _reads(database_url: str, workdir: Path) -> dict[str, float]:
    """read → CPU milliseconds per request."""
    from task_ledger.entrypoints.http import create_app
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    settings = Settings(
        database_url=database_url,
        upload_dir=str(workdir / "uploads"),
        environment="test",
        password_policy=False,
        write_limits={},
    )
    ledger = Ledger(settings)
    app = create_app(settings, ledger=ledger, background=False)
    cpu: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            task_id, lead = (await prepare_tasks(client))[0]
            for n in range(REPORTS):
                form = {"percent": str(n % 100), "done_work": "推进劳务品牌建设，完成阶段任务。"}
                path = f"/api/tasks/{task_id}/progress-reports"
                r = await client.post(path, data=form, headers=lead)
                r.raise_for_status()
            reads = {
                "task_view": f"/api/tasks/{task_id}",
                "task_list": "/api/tasks?page_size=20",
                "inbox": "/api/me/inbox",
            }
            for name, path in reads.items():
                for _ in range(WARM_UP):
                    (await client.get(path, headers=lead)).raise_for_status()
                t0 = time.process_time()
                for _ in range(REQUESTS):
                    await client.get(path, headers=lead)
                cpu[name] = (time.process_time() - t0) / REQUESTS * 1000
    return cpu


async def _run(ctx: BenchContext) -> Result:
    results: Result = {}
    for store, url in ctx.stores():
        workdir = Path(ctx.workdir) / f"reads-{uuid.uuid4().hex[:6]}"
        workdir.mkdir(parents=True)
        cpu = await _reads(url or f"sqlite:///{workdir / 'ledger.db'}", workdir)
        for name, ms in cpu.items():
            results[f"ledger.reads.{store}.{name}_cpu"] = entry(ms, "ms")
    return results


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx))
