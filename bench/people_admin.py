"""Benchmark: the administration pages (admins) with 10,000 tasks in the ledger.

people_admin.<page>_ms    server time of the page over the ASGI transport (best of 5), SQLite
Every admin page also counts the departments that lead or support a task without an active
liaison ("N 个单位尚无联络员"), which reads task_department: the figure that grows with tasks.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench.common import BenchContext, Result, entry
from duban_common.clock import ManualClock
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

TASKS = 10_000
PAGES = {
    "admin_home": "/admin",
    "people": "/admin/people",
    "people_search": "/admin/people?q=gd",
    "departments": "/admin/departments",
    "departments_unstaffed": "/admin/departments?unstaffed=1",
}


async def _fill(ledger: Ledger) -> None:
    async with ledger.transaction() as tx:
        deps = [d.id for d in await repo.list_departments(tx.conn)]
        tasks, links = [], []
        for i in range(TASKS):
            lead, support = deps[i % len(deps)], deps[(i * 7 + 3) % len(deps)]
            tasks.append(
                {
                    "id": f"task-bench-{i}",
                    "plan_id": "plan-bench",
                    "measure_id": f"m-{i}",
                    "title": f"第{i}项任务",
                    "lead_department_ids": [lead],
                    "supporting_department_ids": [support] if support != lead else [],
                    "status": "dispatched",
                    "progress": 0,
                    "version": 0,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                }
            )
            links.append({"task_id": f"task-bench-{i}", "department_id": lead, "role": "lead"})
            if support != lead:
                links.append(
                    {"task_id": f"task-bench-{i}", "department_id": support, "role": "supporting"}
                )
        await tx.conn.execute(insert(t.tasks), tasks)
        await tx.conn.execute(insert(t.task_departments), links)


async def _measure(workdir: Path) -> Result:
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'people-admin.db'}",
        upload_dir=str(workdir / "uploads"),
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        environment="test",
    )
    ledger = Ledger(settings, ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)))
    app = create_app(settings, ledger=ledger, background=False)
    out: Result = {}
    async with app.router.lifespan_context(app):
        await _fill(ledger)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            form = (await client.get("/login")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            login = {"csrf_token": token[1], "username": "admin", "password": "admin-demo"}
            assert (await client.post("/login", data=login)).status_code == 303
            for name, path in PAGES.items():
                best = float("inf")
                for _ in range(5):
                    t0 = time.perf_counter()
                    r = await client.get(path)
                    best = min(best, time.perf_counter() - t0)
                    assert r.status_code == 200, (path, r.status_code)
                out[f"people_admin.{name}_ms"] = entry(best * 1000, "ms")
    return out


def run(ctx: BenchContext | Any) -> Result:
    return asyncio.run(_measure(Path(ctx.workdir)))
