"""The load generator of the ledger's HTTP benchmark and what it reads of the server process.

A lean keep-alive HTTP/1.1 client sends the measured requests, as wrk would (httpx would spend
more CPU than the server on a 2-core box); CPU time and processes come from /proc.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path
from urllib.parse import urlencode

PACED_SECONDS = 6


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


async def report(
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


async def paced(
    port: int, pairs: list[tuple[str, dict[str, str]]], rate: int
) -> tuple[float, list[float], list[BaseException]]:
    """`PACED_SECONDS` of progress reports due at `rate` per second: (achieved rate, latencies
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
            tasks.append(asyncio.create_task(report(raw, task_id, headers, n, due)))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        achieved = len(outcomes) / (time.perf_counter() - start)
    latencies = [x for x in outcomes if isinstance(x, float)]
    failures = [x for x in outcomes if isinstance(x, BaseException)]
    return achieved, latencies, failures


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (uvicorn's worker processes)."""
    tree, i = [pid], 0
    while i < len(tree):
        for task in Path(f"/proc/{tree[i]}/task").glob("*"):
            with contextlib.suppress(OSError):
                tree += [int(c) for c in (task / "children").read_text().split()]
        i += 1
    return tree


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its descendants."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total
