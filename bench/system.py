"""The whole system under load (`make bench` calls `run(ctx)`; `python -m bench system`).

An embedded broker of its own and the three services as `python -m` subprocesses, each with
its own database (SQLite files, then PostgreSQL databases), as `duban run` and production lay
them out. The ledger's seed plan is imported and its tasks dispatched and acknowledged; then
open-loop phases (requests due on a schedule, latency counted from the due time, so queueing
shows) of PHASE_SECONDS each:

- `mix_200` and `mix_500`: progress reports, task views, task lists and inbox reads mixed;
- `progress_500`: progress reports only, 500/s (the write path and the events it causes).

Per phase: p50/p99, errors (any answer but 2xx), timeouts (no answer in TIMEOUT_SECONDS),
and per service the CPU seconds it spent (during the phase and the SETTLE_SECONDS after it,
while its consumers catch up) and its largest resident set.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench.common import BenchContext, Result, entry, percentile, process_rss_mb
from bench.ledger_load import RawClient, cpu_seconds, process_tree
from bench.task_ledger import prepare_tasks
from duban_common.embedded_broker import EmbeddedBroker, _die_with_parent, free_port

PHASE_SECONDS = 15
SETTLE_SECONDS = 5
TIMEOUT_SECONDS = 10.0  # from the due time: queueing for a connection counts
CONNECTIONS = 64
SERVICES = {"ledger": "task_ledger", "watcher": "deadline_watcher", "notifier": "notifier"}
# The full mix: what people do on a working day, weighted (progress reports are the writes).
MIX = (("progress", 4), ("view", 2), ("list", 2), ("inbox", 2))
# Lightest first: an overloaded phase leaves work behind (requests given up on are still
# served, events still consumed), and each phase starts only once the services are idle.
PHASES = (("mix_200", 200, MIX), ("progress_500", 500, (("progress", 1),)), ("mix_500", 500, MIX))
IDLE_CPU_SHARE = 0.05  # of one core, every service, over a second
IDLE_WAIT_SECONDS = 90


class Timeout(Exception):
    pass


class Connections(RawClient):
    """The ledger bench's keep-alive connections, for any request. A connection whose request
    failed or timed out is replaced, never reused mid-response."""

    async def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        form: dict[str, str] | None = None,
        *,
        deadline: float,
    ) -> int:
        """The answer's status; `Timeout` when none came by `deadline` (loop time), waiting
        for a free connection included (a client gives up then, whatever kept it waiting)."""
        body = urlencode(form).encode() if form is not None else b""
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        if form is not None:
            head += "Content-Type: application/x-www-form-urlencoded\r\n"
        raw = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            async with asyncio.timeout_at(deadline):
                reader, writer = await self.idle.get()
        except TimeoutError:
            raise Timeout from None
        try:
            async with asyncio.timeout_at(deadline):
                writer.write(raw)
                status = await _read_response(reader)
        except BaseException as exc:
            writer.close()
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
            if isinstance(exc, TimeoutError):
                raise Timeout from None
            raise
        self.idle.put_nowait((reader, writer))
        return status


async def _read_response(reader: asyncio.StreamReader) -> int:
    status_line, _, rest = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n")
    headers = {
        k.strip().lower(): v.strip()
        for k, _, v in (line.partition(b":") for line in rest.split(b"\r\n") if line)
    }
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return int(status_line.split()[1])


@dataclass
class Outcomes:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0


@dataclass
class System:
    """The broker and the three service processes of one store."""

    workdir: Path
    databases: dict[str, str]
    broker: EmbeddedBroker = field(default_factory=EmbeddedBroker)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    def start(self) -> None:
        self.broker.log_file = self.workdir / "broker.log"
        self.broker.start()
        for name, module in SERVICES.items():
            self.ports[name] = free_port()
            env = {
                **os.environ,
                "DUBAN_SERVICE_NAME": name,
                "DUBAN_DATABASE_URL": self.databases[name],
                "DUBAN_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                "DUBAN_HTTP_HOST": "127.0.0.1",
                "DUBAN_HTTP_PORT": str(self.ports[name]),
                "DUBAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.get('ledger', 8000)}",
                "DUBAN_UPLOAD_DIR": str(self.workdir / "uploads"),
                "DUBAN_MAILDIR": str(self.workdir / "mail"),
                "DUBAN_LOG_LEVEL": "WARNING",
                # A handful of liaisons send every report: per-user write limits would cap it.
                "DUBAN_WRITE_LIMITS": "{}",
                # As deployed (docker-compose.yml, deploy/k8s): reports arriving together
                # share a commit (the ledger's group-commit accelerator).
                "DUBAN_WRITE_BATCHING": "true",
            }
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", module],
                env=env,
                cwd=self.workdir,
                stdout=subprocess.DEVNULL,
                stderr=(self.workdir / f"{name}.log").open("wb"),
                preexec_fn=_die_with_parent,
            )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.broker.stop()

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            for name, port in self.ports.items():
                deadline = time.monotonic() + 180
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        ready = await client.get(f"http://127.0.0.1:{port}/health/ready")
                        if ready.status_code == 200:
                            break
                    if time.monotonic() > deadline or self.processes[name].poll() is not None:
                        raise RuntimeError(f"{name} did not start (see {self.workdir})")
                    await asyncio.sleep(0.3)

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(p.pid) for name, p in self.processes.items()}

    async def idle(self) -> None:
        """Until no service works (or IDLE_WAIT_SECONDS passed)."""
        deadline = time.monotonic() + IDLE_WAIT_SECONDS
        while time.monotonic() < deadline:
            before = self.cpu()
            await asyncio.sleep(1)
            after = self.cpu()
            if all(after[name] - before[name] < IDLE_CPU_SHARE for name in before):
                return

    def rss(self) -> dict[str, float]:
        return {
            name: max(process_rss_mb(member) for member in process_tree(p.pid))
            for name, p in self.processes.items()
        }


async def _phase(
    system: System,
    pairs: list[tuple[str, dict[str, str]]],
    supervisor: dict[str, str],
    rate: int,
    mix: tuple[tuple[str, int], ...],
) -> tuple[Outcomes, dict[str, float]]:
    kinds = [kind for kind, weight in mix for _ in range(weight)]
    chooser = random.Random(7)
    outcomes = Outcomes()

    async def one(conns: Connections, n: int, due: float) -> None:
        task_id, lead = pairs[n % len(pairs)]
        kind = chooser.choice(kinds)
        # perf_counter and the loop's clock differ: the deadline is set on the loop's
        deadline = asyncio.get_running_loop().time() + TIMEOUT_SECONDS - (time.perf_counter() - due)
        try:
            if kind == "progress":
                form = {"percent": str(n % 100), "done_work": "推进劳务品牌建设"}
                path = f"/api/tasks/{task_id}/progress-reports"
                status = await conns.request("POST", path, lead, form, deadline=deadline)
            elif kind == "view":
                path = f"/api/tasks/{task_id}"
                status = await conns.request("GET", path, supervisor, deadline=deadline)
            elif kind == "list":
                path = "/api/tasks?page_size=20"
                status = await conns.request("GET", path, supervisor, deadline=deadline)
            else:
                status = await conns.request("GET", "/api/me/inbox", lead, deadline=deadline)
        except Timeout:
            outcomes.timeouts += 1
            return
        except Exception:
            outcomes.errors += 1
            return
        if not 200 <= status < 300:
            outcomes.errors += 1
        outcomes.latencies.append(time.perf_counter() - due)

    await system.idle()
    cpu0 = system.cpu()
    conns = Connections(system.ports["ledger"], CONNECTIONS)
    async with conns:
        start = time.perf_counter()
        running = []
        for n in range(rate * PHASE_SECONDS):
            due = start + n / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            running.append(asyncio.create_task(one(conns, n, due)))
        await asyncio.gather(*running)
    await asyncio.sleep(SETTLE_SECONDS)
    cpu1 = system.cpu()
    return outcomes, {name: cpu1[name] - cpu0[name] for name in cpu0}


async def _store(ctx: BenchContext, store: str, databases: dict[str, str]) -> Result:
    workdir = Path(ctx.workdir) / f"system-{store}-{uuid.uuid4().hex[:6]}"
    workdir.mkdir(parents=True)
    system = System(workdir, databases)
    results: Result = {}
    try:
        await asyncio.to_thread(system.start)
        await system.wait_ready()
        base = f"http://127.0.0.1:{system.ports['ledger']}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            pairs = await prepare_tasks(client)
            login = {"username": "supervisor", "password": "supervisor-demo"}
            token = (await client.post("/api/auth/login", json=login)).json()["access_token"]
        supervisor = {"Authorization": f"Bearer {token}"}
        for name, rate, mix in PHASES:
            print(f".. system.{store}.{name}", file=sys.stderr, flush=True)
            outcomes, cpu = await _phase(system, pairs, supervisor, rate, mix)
            prefix = f"system.{store}.{name}"
            lat = outcomes.latencies or [0.0]
            results[f"{prefix}.p50"] = entry(statistics.median(lat) * 1000, "ms")
            results[f"{prefix}.p99"] = entry(percentile(lat, 0.99) * 1000, "ms")
            results[f"{prefix}.errors"] = entry(outcomes.errors, "requests")
            results[f"{prefix}.timeouts"] = entry(outcomes.timeouts, "requests")
            for service, seconds in cpu.items():
                results[f"{prefix}.cpu.{service}"] = entry(seconds, "CPU-s")
        for service, mb in system.rss().items():
            results[f"system.{store}.rss.{service}"] = entry(mb, "MB")
    finally:
        await asyncio.to_thread(system.stop)
    for name, figure in results.items():  # as they come: a long run cut short keeps these
        print(f"   {name} = {figure['value']} {figure['unit']}", file=sys.stderr, flush=True)
    return results


def run(ctx: BenchContext) -> Result:
    results: Result = {}
    sqlite = {s: f"sqlite:///{Path(ctx.workdir) / f'system-{s}.db'}" for s in SERVICES}
    results.update(asyncio.run(_store(ctx, "sqlite", sqlite)))
    if ctx.postgres_url:  # each service has a database of its own, as in production
        with ctx.fresh_databases(len(SERVICES)) as urls:
            databases = dict(zip(SERVICES, urls, strict=True))
            results.update(asyncio.run(_store(ctx, "postgresql", databases)))
    return results
