"""Helpers of the task-ledger's tests (a uniquely named module: `conftest` is taken)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from duban_common.clock import ManualClock
from task_ledger.adapters import tables as t
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.directory import liaison_user_id
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

SEEDS = Path(__file__).resolve().parents[3] / "seeds"  # the repository copy of the seeds
SEED_FILE = SEEDS / "000_9108b65ab0af5f8f.txt"
START = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
# One evidence file (佐证材料) as httpx uploads it: 申请办结 needs at least one.
EVIDENCE = [("files", ("印发通知.pdf", b"%PDF-1.4 evidence", "application/pdf"))]


def ledger_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "upload_dir": str(tmp_path / "uploads"),
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "environment": "test",
        # Many tests create users with short passwords; test_ledger_passwords_and_headers.py runs the default
        # (strict) policy.
        "password_policy": False,
        "max_body_bytes": 64 * 1024,
        "max_upload_bytes": 2 * 1024 * 1024,
        "max_attachment_bytes": 1024 * 1024,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Api:
    client: httpx.AsyncClient
    ledger: Ledger
    clock: ManualClock
    app: Any = None

    async def login(self, username: str, password: str | None = None) -> dict[str, str]:
        s = self.ledger.settings
        if password is None:
            password = {
                "supervisor": s.demo_supervisor_password,
                "admin": s.demo_admin_password,
            }.get(username, s.demo_liaison_password).get_secret_value()
        r = await self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def liaison_username(self, department_id: str) -> str:
        """The department's demo liaison's (readable) username."""
        async with self.ledger.reading() as conn:
            return str(
                await conn.scalar(
                    select(t.users.c.username).where(t.users.c.id == liaison_user_id(department_id))
                )
            )

    async def liaison_of(self, department_id: str) -> dict[str, str]:
        return await self.login(await self.liaison_username(department_id))

    async def upload(self, path: Path = SEED_FILE) -> dict[str, Any]:
        """The supervisor uploads a plan file: its preview (not confirmed)."""
        sup = await self.login("supervisor")
        r = await self.client.post(
            "/api/imports",
            files={"file": (path.name, await asyncio.to_thread(path.read_bytes), "text/plain")},
            headers=sup,
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def import_seed(self, path: Path = SEED_FILE) -> dict[str, Any]:
        sup = await self.login("supervisor")
        preview = await self.upload(path)
        r = await self.client.post(f"/api/imports/{preview['import_id']}/confirm", headers=sup)
        assert r.status_code == 200, r.text
        return {"preview": preview, "result": r.json()}

    async def complete(self, tid: str, lead: dict[str, str], sup: dict[str, str]) -> None:
        """申请办结 at 100 % with an evidence file, approved by the supervisor."""
        r = await self.client.post(
            f"/api/tasks/{tid}/completion-requests",
            data={"summary": "已完成"},
            files=EVIDENCE,
            headers=lead,
        )
        assert r.status_code == 201, r.text
        r = await self.client.post(
            f"/api/tasks/{tid}/completion-requests/{r.json()['id']}/decision",
            json={"decision": "approved"},
            headers=sup,
        )
        assert r.status_code == 200, r.text

    async def outbox(self, event_type: str | None = None) -> list[Any]:
        query = select(t.outbox).order_by(t.outbox.c.id)
        if event_type:
            query = query.where(t.outbox.c.event_type == event_type)
        async with self.ledger.reading() as conn:
            return list((await conn.execute(query)).all())


async def read_topic(
    bootstrap: str,
    topic: str,
    keep: Any,
    done: Any,
    timeout: float = 60.0,
) -> list[Any]:
    """Read `topic` from the beginning (no group: no join delay) keeping records for which
    `keep(record)` holds, until `done(kept)` or the timeout."""
    import time

    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    kept: list[Any] = []
    try:
        partitions = [
            TopicPartition(topic, p)
            for p in consumer.partitions_for_topic(topic)
            or (await consumer._client.fetch_all_metadata()).partitions_for_topic(topic)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(kept):
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batches.values():
                kept.extend(r for r in records if keep(r))
    finally:
        await consumer.stop()
    return kept


async def first_task(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    r = await api.client.get("/api/tasks", params={"page_size": 1}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def csrf_of(page) -> str:  # type: ignore[no-untyped-def]
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert token
    return str(token)


@contextlib.asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[Api]:
    """The ledger's app on `settings` (no broker), a client of it and its manual clock."""
    clock = ManualClock(START)
    ledger = Ledger(settings, clock)
    app = create_app(settings, ledger=ledger, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            yield Api(client, ledger, clock, app)
