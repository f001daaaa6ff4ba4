"""A 100,000-measure plan through a real ledger server (`python -m bench task_ledger_import`).

Issue #22 saw confirming such a plan as one 144 s request, `/health/live` answering 3 times
meanwhile and the server at 1 GB. Here: upload (parse and preview), confirm (a background job,
202 at once), then until the job is done `/health/live` is asked every 0.2 s and the server's
resident memory sampled every 0.5 s. Keys `ledger.import_<n>.<store>.*`: upload and confirm
seconds, the largest RSS of the server's processes, `/health/live` p50 and max while the job
ran. `IMPORT_MEASURES` overrides the size (e.g. 10000 for a quick look).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import time
import uuid
from pathlib import Path

import httpx

from bench.common import BenchContext, Result, entry, process_rss_mb
from bench.ledger_load import process_tree
from bench.task_ledger_http import _free_port, _start_server, wait_ready

MEASURES = int(os.environ.get("IMPORT_MEASURES", "100000"))
PER_SECTION = 100


def plan_text(measures: int) -> bytes:
    """A plan of `measures` measures in sections of PER_SECTION, each with its departments."""
    lines = ["关于加强劳务品牌建设的行动方案", ""]
    for section in range(measures // PER_SECTION):
        lines.append(f"第{section + 1}部分　重点任务{section + 1}")
        for item in range(PER_SECTION):
            n = section * PER_SECTION + item + 1
            lines.append(
                f"{item + 1}．开展第{n}项工作，推进劳务品牌建设。"
                "（省人力资源社会保障厅、省教育厅按职责分工负责）"
            )
    return "\n".join(lines).encode()


async def _import(ctx: BenchContext, database_url: str | None) -> Result:
    store = "postgresql" if database_url else "sqlite"
    workdir = Path(ctx.workdir) / f"ledger-import-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)
    port = _free_port()
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": database_url or f"sqlite:///{workdir / 'ledger.db'}",
        "DUBAN_HTTP_PORT": str(port),
        "DUBAN_HTTP_WORKERS": "1",
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap_servers,
        "DUBAN_UPLOAD_DIR": str(workdir / "uploads"),
        "DUBAN_LOG_LEVEL": "WARNING",
        "DUBAN_CONSUMER_GROUP": f"bench-import-{uuid.uuid4().hex[:6]}",
        "DUBAN_WRITE_LIMITS": "{}",
    }
    server = _start_server(env, workdir)
    rss: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            await wait_ready(client, server)
            r = await client.post(
                "/api/auth/login", json={"username": "supervisor", "password": "supervisor-demo"}
            )
            sup = {"Authorization": f"Bearer {r.raise_for_status().json()['access_token']}"}

            async def sample_rss(stop: asyncio.Event) -> None:
                while not stop.is_set():
                    rss.append(max(process_rss_mb(p) for p in process_tree(server.pid)))
                    await asyncio.sleep(0.5)

            stop = asyncio.Event()
            sampler = asyncio.create_task(sample_rss(stop))
            t0 = time.perf_counter()
            r = await client.post(
                "/api/imports",
                files={"file": ("plan.txt", plan_text(MEASURES), "text/plain")},
                headers=sup,
            )
            import_id = r.raise_for_status().json()["import_id"]
            uploaded = time.perf_counter() - t0
            t1 = time.perf_counter()
            r = await client.post(f"/api/imports/{import_id}/confirm", headers=sup)
            r.raise_for_status()
            health: list[float] = []
            status = "confirming" if r.status_code == 202 else "confirmed"
            job_error = None
            last_poll = 0.0
            while status == "confirming":
                h0 = time.perf_counter()
                (await client.get("/health/live")).raise_for_status()
                health.append(time.perf_counter() - h0)
                if time.perf_counter() - last_poll > 2:  # the list: no preview read
                    last_poll = time.perf_counter()
                    r = await client.get("/api/imports", params={"page_size": 5}, headers=sup)
                    found = [
                        i for i in r.raise_for_status().json()["items"] if i["id"] == import_id
                    ]
                    status, job_error = found[0]["status"], found[0]["job_error"]
                await asyncio.sleep(0.2)
            confirmed = time.perf_counter() - t1
            stop.set()
            await sampler
            if status != "confirmed":
                raise RuntimeError(f"import ended {status}: {job_error}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    prefix = f"ledger.import_{MEASURES}.{store}"
    ms = 1000.0
    return {
        f"{prefix}.upload_seconds": entry(uploaded, "s"),
        f"{prefix}.confirm_seconds": entry(confirmed, "s"),
        f"{prefix}.server_rss_peak": entry(max(rss), "MB"),
        f"{prefix}.health_live_p50": entry(statistics.median(health or [0.0]) * ms, "ms"),
        f"{prefix}.health_live_max": entry(max(health or [0.0]) * ms, "ms"),
    }


async def _run(ctx: BenchContext) -> Result:
    results = await _import(ctx, None)
    if ctx.postgres_url:
        results.update(await _import(ctx, ctx.postgres_url))
    return results


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx))
