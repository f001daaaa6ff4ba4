"""`python -m task_ledger` with HTTP worker processes, on PostgreSQL and the real broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from bench.task_ledger_http import prepare_tasks
from duban_common.db import make_engine
from duban_common.testing.polling import eventually
from task_ledger.settings import Settings

pytestmark = pytest.mark.integration


def test_worker_processes_need_postgresql() -> None:
    with pytest.raises(ValidationError, match="PostgreSQL"):
        Settings(database_url="sqlite:///x.db", http_workers=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "task_ledger"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


async def test_two_workers_migrate_once_serve_reports_and_publish_every_event(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": postgres_url,
        "DUBAN_HTTP_PORT": str(port),
        "DUBAN_HTTP_WORKERS": "2",
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DUBAN_CONSUMER_GROUP": f"test-workers-{uuid.uuid4().hex[:8]}",
        "DUBAN_UPLOAD_DIR": str(tmp_path / "uploads"),
        "DUBAN_ARGON2_TIME_COST": "1",
        "DUBAN_ARGON2_MEMORY_COST": "1024",
    }
    log = tmp_path / "server.log"
    server = _start(env, log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:

            async def ready() -> bool:
                assert server.poll() is None, log.read_text()
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, 120, "the ledger ready", interval=0.3)
            assert len(_children(server.pid)) >= 2
            pairs = await prepare_tasks(client)  # import the seed plan, dispatch, acknowledge
            # Fresh connections land on either worker; each worker checks tokens on its own.
            for n in range(24):
                task_id, liaison = pairs[n % len(pairs)]
                async with httpx.AsyncClient(base_url=client.base_url, timeout=30) as one:
                    sent = await one.post(
                        f"/api/tasks/{task_id}/progress-reports",
                        data={"percent": str(n + 1)},
                        headers=liaison,
                    )
                    assert sent.status_code == 201, sent.text
        engine = make_engine(postgres_url)
        try:

            async def drained() -> bool:
                async with engine.connect() as conn:
                    left = await conn.scalar(
                        text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    )
                return left == 0

            await eventually(drained, 60, "the outbox drained", interval=0.3)
            async with engine.connect() as conn:
                reports = await conn.scalar(text("SELECT count(*) FROM progress_report"))
            assert reports == 24
        finally:
            await engine.dispose()
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0, log.read_text()
    assert "Traceback" not in log.read_text()
