"""The shared relay as the ledger runs it: a stuck broker never blocks the API's writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ledger_helpers import START, ledger_settings
from sqlalchemy import func, select

from duban_common.clock import ManualClock
from duban_common.migrations import upgrade
from duban_common.outbox import OutboxRelay
from duban_contracts import events as ev
from duban_contracts.vocabulary import TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.bootstrap import MIGRATIONS
from task_ledger.service_layer.uow import Ledger

pytestmark = pytest.mark.integration


class StuckBroker:
    """Accepts records but acknowledges them only when released (a broker outage)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.published: list[bytes] = []
        # The relay asks the broker who it is (a new cluster gets the retention window again).
        self.config = SimpleNamespace(admin_client=SimpleNamespace(describe_cluster=self._who))

    async def _who(self) -> dict[str, str]:
        return {"cluster_id": "stuck"}

    async def publish(self, body: bytes, **_: Any) -> None:
        await self.release.wait()
        self.published.append(body)


def changed(task_id: str) -> ev.TaskStatusChanged:
    return ev.TaskStatusChanged(
        task_id=task_id, from_status=TaskStatus.DRAFT, to_status=TaskStatus.DISPATCHED
    )


async def test_writes_go_on_while_the_broker_hangs(db_url: str, tmp_path: Path) -> None:
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    ledger = Ledger(ledger_settings(db_url, tmp_path), ManualClock(START))
    broker = StuckBroker()
    relay = OutboxRelay(
        ledger.write_engine,
        t.outbox,
        broker,  # type: ignore[arg-type]
        batch_size=10,
    )
    try:
        async with ledger.transaction() as tx:
            tx.emit(changed("task-a"))
        publishing = asyncio.create_task(relay.relay_once())
        await asyncio.sleep(0.2)
        assert not publishing.done()  # the relay waits for the broker...
        async with asyncio.timeout(10), ledger.transaction() as tx:  # ...and writes go on
            tx.emit(changed("task-b"))
        broker.release.set()
        assert await publishing == 1
        assert await relay.relay_once() == 1
        async with ledger.reading() as conn:
            pending = await conn.scalar(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.published_at.is_(None))
            )
        assert pending == 0 and len(broker.published) == 2
    finally:
        await ledger.dispose()
