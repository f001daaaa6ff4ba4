"""A 100,000-measure plan through a real ledger server (`python -m bench task_ledger_import`).

Issue #22 saw confirming such a plan as one 144 s request, `/health/live` answering 3 times
meanwhile and the server at 1 GB. Here: upload (parse and preview) to one server process;
confirm (a background job, 202 at once) in a new one, as when another replica confirms it or
takes the job over; until the job is done `/health/live` is asked every 0.2 s; each process's
resident memory is sampled every 0.5 s. Keys `ledger.import_<n>.<store>.*`: upload and confirm
seconds, each phase's largest RSS, one preview page's time, `/health/live` p50 and max while the
job ran. `IMPORT_MEASURES` overrides the size (e.g. 10000 for a quick look).
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


class Server:
    """The ledger server under test, its resident memory sampled every 0.5 s."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.env, self.workdir = env, workdir
        self.process = _start_server(env, workdir)
        self.rss: list[float] = []
        self._stop = asyncio.Event()
        self._sampler = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while not self._stop.is_set():
            tree = process_tree(self.process.pid)
            if tree:
                self.rss.append(max(process_rss_mb(p) for p in tree))
            await asyncio.sleep(0.5)

    async def stop(self) -> float:
        """Stop it; its largest resident memory (MB)."""
        self._stop.set()
        await self._sampler
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return max(self.rss or [0.0])


async def _login(client: httpx.AsyncClient, server: Server) -> dict[str, str]:
    await wait_ready(client, server.process)
    r = await client.post(
        "/api/auth/login", json={"username": "supervisor", "password": "supervisor-demo"}
    )
    return {"Authorization": f"Bearer {r.raise_for_status().json()['access_token']}"}


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
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
        server = Server(env, workdir)
        try:
            sup = await _login(client, server)
            t0 = time.perf_counter()
            r = await client.post(
                "/api/imports",
                files={"file": ("plan.txt", plan_text(MEASURES), "text/plain")},
                headers=sup,
            )
            import_id = r.raise_for_status().json()["import_id"]
            uploaded = time.perf_counter() - t0
        finally:
            upload_rss = await server.stop()
        # The job runs in a process of its own, as when another replica confirms the import or
        # takes the job over: the upload's own peak is the key above.
        server = Server(env, workdir)
        try:
            sup = await _login(client, server)
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
            # A page of the preview reads that page only.
            p0 = time.perf_counter()
            r = await client.get(
                f"/api/imports/{import_id}/documents/0/measures",
                params={"page": MEASURES // 100, "page_size": 50},
                headers=sup,
            )
            r.raise_for_status()
            page_ms = (time.perf_counter() - p0) * 1000
            if status != "confirmed":
                raise RuntimeError(f"import ended {status}: {job_error}")
        finally:
            job_rss = await server.stop()
    prefix = f"ledger.import_{MEASURES}.{store}"
    ms = 1000.0
    return {
        f"{prefix}.upload_seconds": entry(uploaded, "s"),
        f"{prefix}.upload_rss_peak": entry(upload_rss, "MB"),
        f"{prefix}.confirm_seconds": entry(confirmed, "s"),
        f"{prefix}.job_rss_peak": entry(job_rss, "MB"),
        f"{prefix}.preview_page_ms": entry(page_ms, "ms"),
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
