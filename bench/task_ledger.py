"""Benchmarks of the ledger (`make bench` calls `run(ctx)`).

- HTTP: progress reports (multipart POST) against a real `python -m task_ledger` server in a
  subprocess (uvicorn, SQLite, broker and relay running), driven from this process by a lean
  keep-alive HTTP/1.1 client (httpx would spend more CPU than the server on this 2-core box):
  closed-loop throughput with p50/p99, then an open-loop run paced at 500 requests/s, and the
  server's CPU time per request (the figure that does not depend on what else runs).
- Kafka consumer path: watcher/notifier events through `build_broker`'s batch subscriber
  into the timeline, inbox and dedupe tables, on SQLite and on PostgreSQL.
Each throughput sits beside the raw aiokafka figure measured on the same broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

HTTP_REQUESTS = 600
HTTP_CONCURRENCY = 16
HTTP_WORKERS = 2  # the PostgreSQL run with worker processes: one per core of the bench box
PACED_RATE = 500
PACED_SECONDS = 6
EVENTS = 20_000
EVENT_KEYS = 64


def _entry(value: float, unit: str, baseline: str | None = None, ctx: Any = None) -> dict:
    base = None
    if baseline and ctx is not None:
        base = (ctx.baseline.get(baseline) or {}).get("value")
    ratio = round(value / base, 3) if base else None
    return {
        "value": round(value, 3),
        "unit": unit,
        "baseline": baseline if base else None,
        "ratio": ratio,
    }


def _rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- HTTP -------------------------------------------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def prepare_tasks(client: httpx.AsyncClient) -> list[tuple[str, dict[str, str]]]:
    """Import the seed plan, dispatch and acknowledge every task; return (task, lead login)."""

    async def login(user: str, password: str) -> dict[str, str]:
        r = await client.post("/api/auth/login", json={"username": user, "password": password})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    sup = await login("supervisor", "supervisor-demo")
    data = _plan_bytes()
    r = await client.post(
        "/api/imports", files={"file": ("plan.txt", data, "text/plain")}, headers=sup
    )
    r.raise_for_status()
    (
        await client.post(f"/api/imports/{r.json()['import_id']}/confirm", headers=sup)
    ).raise_for_status()
    tasks = (await client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    admin = await login("admin", "admin-demo")
    users = (await client.get("/api/users", params={"role": "liaison"}, headers=admin)).json()
    liaison_of = {u["department_id"]: u["username"] for u in users}
    pairs = []
    for task in tasks["items"]:
        lead = await login(liaison_of[task["lead_department_ids"][0]], "liaison-demo")
        await client.post(f"/api/tasks/{task['id']}/dispatch", headers=sup)
        await client.post(f"/api/tasks/{task['id']}/acknowledge", headers=lead)
        pairs.append((task["id"], lead))
    return pairs


def _plan_bytes() -> bytes:
    seed = Path(__file__).resolve().parents[1] / "seeds" / "000_9108b65ab0af5f8f.txt"
    return seed.read_bytes() if seed.exists() else _synthetic_plan()


def _start_server(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "task_ledger"],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "server.log").open("wb"),
    )


def _synthetic_plan() -> bytes:
    lines = ["关于加强劳务品牌建设的行动方案", "", "一、重点任务"]
    lines += [
        f"（{n}）开展第{n}项工作。（省人力资源社会保障厅、省教育厅按职责分工负责）"
        for n in range(1, 11)
    ]
    return "\n".join(lines).encode()


class RawClient:
    """Keep-alive HTTP/1.1 connections for the measured requests, as wrk would send them."""

    def __init__(self, port: int, connections: int) -> None:
        self.port = port
        self.size = connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def __aenter__(self) -> RawClient:
        for _ in range(self.size):
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
        return self

    async def __aexit__(self, *_: object) -> None:
        while not self.idle.empty():
            self.idle.get_nowait()[1].close()

    async def post_form(self, path: str, form: dict[str, str], headers: dict[str, str]) -> int:
        body = urlencode(form).encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        reader, writer = await self.idle.get()
        try:
            writer.write(request)
            status_line, _, rest = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in rest.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
        finally:
            self.idle.put_nowait((reader, writer))
        return int(status_line.split()[1])


async def _report(
    client: RawClient, task_id: str, headers: dict, n: int, since: float | None = None
) -> float:
    """One progress report; the latency counts from `since` (the scheduled send time in the
    paced run, so time spent queued behind a slow server is not hidden)."""
    t0 = time.perf_counter() if since is None else since
    status = await client.post_form(
        f"/api/tasks/{task_id}/progress-reports",
        {"percent": str(n % 100), "done_work": "推进劳务品牌建设"},
        headers,
    )
    elapsed = time.perf_counter() - t0
    if status != 201:
        raise RuntimeError(f"progress report failed: HTTP {status}")
    return elapsed


async def _paced(
    port: int, pairs: list[tuple[str, dict[str, str]]], rate: int
) -> tuple[float, list[float], list[BaseException]]:
    """PACED_SECONDS of progress reports due at `rate` per second: (achieved rate, latencies
    counted from each due time, failures)."""
    async with RawClient(port, 64) as raw:
        tasks = []
        start = time.perf_counter()
        for n in range(rate * PACED_SECONDS):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task_id, headers = pairs[n % len(pairs)]
            tasks.append(asyncio.create_task(_report(raw, task_id, headers, n, due)))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        achieved = len(outcomes) / (time.perf_counter() - start)
    latencies = [x for x in outcomes if isinstance(x, float)]
    failures = [x for x in outcomes if isinstance(x, BaseException)]
    return achieved, latencies, failures


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes)."""
    tree, i = [pid], 0
    while i < len(tree):
        for task in Path(f"/proc/{tree[i]}/task").glob("*"):
            with contextlib.suppress(OSError):
                tree += [int(c) for c in (task / "children").read_text().split()]
        i += 1
    return tree


def _cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its descendants."""
    total = 0.0
    for member in _process_tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def _http(ctx: Any, database_url: str | None = None, workers: int = 1) -> dict[str, Any]:
    """HTTP figures on SQLite (`ledger.http.*`) or PostgreSQL (`ledger.http.postgresql.*`,
    with N worker processes `ledger.http.postgresql.workers_N.*`)."""
    port = _free_port()
    workdir = Path(ctx.workdir) / f"ledger-http-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)
    prefix = "ledger.http.postgresql" if database_url else "ledger.http"
    if workers > 1:
        prefix += f".workers_{workers}"
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": database_url or f"sqlite:///{workdir / 'ledger.db'}",
        "DUBAN_HTTP_PORT": str(port),
        "DUBAN_HTTP_WORKERS": str(workers),
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap_servers,
        "DUBAN_UPLOAD_DIR": str(workdir / "uploads"),
        "DUBAN_LOG_LEVEL": "WARNING",
        "DUBAN_CONSUMER_GROUP": f"bench-ledger-{uuid.uuid4().hex[:6]}",
        # A handful of liaisons send every report: per-user write limits would cap the load.
        "DUBAN_WRITE_LIMITS": "{}",
    }
    server = _start_server(env, workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        limits = httpx.Limits(max_connections=HTTP_CONCURRENCY * 2)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("ledger server did not start")
                await asyncio.sleep(0.3)
            pairs = await prepare_tasks(client)

        latencies: list[float] = []
        counter = iter(range(HTTP_REQUESTS))
        async with RawClient(port, HTTP_CONCURRENCY) as raw:

            async def worker() -> None:
                for n in counter:
                    task_id, headers = pairs[n % len(pairs)]
                    latencies.append(await _report(raw, task_id, headers, n))

            cpu0, t0 = _cpu_seconds(server.pid), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(HTTP_CONCURRENCY)))
            wall = time.perf_counter() - t0
            cpu_per_request = (_cpu_seconds(server.pid) - cpu0) / HTTP_REQUESTS

        # Open loop: requests are due on schedule whatever the server does; latency counts
        # from the due time, so queueing (for one of 64 connections) shows in the figures.
        # First at the target rate, then at 60% of what the closed loop reached (the latency a
        # replica gives when it is sized with headroom).
        achieved, paced, failures = await _paced(port, pairs, PACED_RATE)
        sustainable_rate = max(1, int(0.6 * HTTP_REQUESTS / wall))
        _, sustainable, _ = await _paced(port, pairs, sustainable_rate)
        rss = max(_rss_mb(member) for member in _process_tree(server.pid))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    ms = 1000.0
    return {
        f"{prefix}.progress_reports_per_s": _entry(HTTP_REQUESTS / wall, "req/s"),
        f"{prefix}.progress_report_p50": _entry(statistics.median(latencies) * ms, "ms"),
        f"{prefix}.progress_report_p99": _entry(_percentile(latencies, 0.99) * ms, "ms"),
        f"{prefix}.server_cpu_per_request": _entry(cpu_per_request * ms, "ms"),
        f"{prefix}.paced_rate": _entry(achieved, "req/s"),
        f"{prefix}.paced_failures": _entry(len(failures), "requests"),
        f"{prefix}.paced_p50": _entry(statistics.median(paced) * ms, "ms"),
        f"{prefix}.paced_p99": _entry(_percentile(paced, 0.99) * ms, "ms"),
        f"{prefix}.at_60pct_rate": _entry(sustainable_rate, "req/s"),
        f"{prefix}.at_60pct_p50": _entry(statistics.median(sustainable) * ms, "ms"),
        f"{prefix}.at_60pct_p99": _entry(_percentile(sustainable, 0.99) * ms, "ms"),
        f"{prefix}.server_rss": _entry(rss, "MB"),  # the largest of its processes
    }


# --- Kafka consumer path ------------------------------------------------------------------------
def _events(run: str) -> tuple[list[Any], dict[str, str]]:
    """Half reminders (supervision topic), half inbox deliveries (notification topic)."""
    from duban_contracts import Envelope
    from duban_contracts import events as ev
    from duban_contracts.vocabulary import Channel, ReminderKind

    now = datetime.now(UTC)
    envelopes, last = [], {}
    for n in range(EVENTS):
        task_id = f"task-bench-{run}-{n % EVENT_KEYS}"
        if n % 2:
            message: Any = ev.ReminderDue(
                task_id=task_id,
                task_title="基准任务",
                plan_id="plan-bench",
                kind=ReminderKind.BEFORE_DUE,
                due_on=date(2030, 1, 1),
                working_days_left=5,
                department_ids=("dep-bench",),
                scheduled_for=now,
                dedupe_key=f"{run}-{n}",
            )
        else:
            message = ev.NotificationSent(
                key=task_id,
                notification_id=f"n-{run}-{n}",
                source_event_ids=(f"e-{n}",),
                task_ids=(task_id,),
                recipient_id="user-bench",
                channel=Channel.INBOX,
                attempt=1,
                at=now,
                subject="督办提醒",
                body="请及时填报进展",
            )
        envelope = Envelope.wrap(message, producer="bench")
        envelopes.append(envelope)
        last[f"{envelope.topic}/{task_id}"] = str(envelope.event_id)
    return envelopes, last


async def _consumer_path(ctx: Any, url: str, label: str) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer
    from sqlalchemy import func, select

    from duban_common.heap import freeze_startup_heap
    from duban_common.migrations import upgrade
    from task_ledger.adapters import tables as t
    from task_ledger.bootstrap import MIGRATIONS
    from task_ledger.entrypoints.messaging import build_broker
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    run = uuid.uuid4().hex[:8]
    envelopes, last = _events(run)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(e.topic, e.to_bytes(), key=e.key.encode()) for e in envelopes
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    del envelopes, futures

    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=ctx.bootstrap_servers,
        seed_demo_users=False,
        seed_departments=False,
    )
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    ledger = Ledger(settings)
    broker = build_broker(settings, ledger, group_id=f"bench-ledger-{run}")
    sentinels = list(last.values())

    async def handled() -> tuple[int, int]:
        async with ledger.reading() as conn:
            total = await conn.scalar(select(func.count()).select_from(t.consumer_inbox))
            done = await conn.scalar(
                select(func.count())
                .select_from(t.consumer_inbox)
                .where(t.consumer_inbox.c.event_id.in_(sentinels))
            )
        return int(total or 0), int(done or 0)

    await broker.start()
    freeze_startup_heap()  # as the service process does once started
    try:
        first: float | None = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            total, done = await handled()
            if first is None and total:
                first = time.perf_counter()  # exclude the group join, as the baseline does
                first_cpu = time.process_time()
                first_total = total
            if done == len(sentinels):
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - (first or time.perf_counter())
        cpu = time.process_time() - first_cpu
        total, done = await handled()
        if done != len(sentinels):
            raise RuntimeError(f"consumer path on {label} did not finish")
    finally:
        await broker.stop()
        await ledger.dispose()
    rate = (total - first_total) / elapsed if elapsed > 0 else float(total)
    return {
        f"ledger.consume.{label}_events_per_s": _entry(
            rate, "events/s", "kafka.raw_aiokafka.consume_per_s", ctx
        ),
        # What one fully used core would do, whatever else the machine is running.
        f"ledger.consume.{label}_events_per_cpu_s": _entry(
            (total - first_total) / cpu, "events/CPU-s"
        ),
    }


async def _run(ctx: Any) -> dict[str, Any]:
    results: dict[str, Any] = {}
    sqlite_url = f"sqlite:///{Path(ctx.workdir) / f'ledger-consume-{uuid.uuid4().hex[:6]}.db'}"
    results.update(await _consumer_path(ctx, sqlite_url, "sqlite"))
    if ctx.postgres_url:
        results.update(await _consumer_path(ctx, ctx.postgres_url, "postgresql"))
    results["ledger.consume.rss"] = _entry(_rss_mb(), "MB")
    results.update(await _http(ctx))
    if ctx.postgres_url:
        results.update(await _http(ctx, ctx.postgres_url))
        results.update(await _http(ctx, ctx.postgres_url, workers=HTTP_WORKERS))
    for key in (
        "ledger.http.progress_reports_per_s",
        "ledger.http.postgresql.progress_reports_per_s",
        f"ledger.http.postgresql.workers_{HTTP_WORKERS}.progress_reports_per_s",
    ):
        if key in results:
            rate = results[key]["value"]
            results[key] = _entry(rate, "req/s", "kafka.raw_aiokafka.produce_per_s", ctx)
    return results


def run(ctx: Any) -> dict[str, Any]:
    """`ctx`: any object with bootstrap_servers, postgres_url, workdir and baseline."""
    return asyncio.run(_run(ctx))
