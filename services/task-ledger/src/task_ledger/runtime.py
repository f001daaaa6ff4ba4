"""What runs beside the HTTP app in one process: migrations, seeding, broker, outbox relay."""

from __future__ import annotations

import asyncio
import contextlib

from faststream.kafka import KafkaBroker

from duban_common.logging import get_logger
from duban_common.outbox import OutboxRelay
from task_ledger.adapters import tables as t
from duban_common.migrations import upgrade
from task_ledger.bootstrap import MIGRATIONS
from task_ledger.service_layer import directory
from task_ledger.service_layer.uow import Ledger

log = get_logger(__name__)


async def prepare(ledger: Ledger) -> None:
    """Migrate and seed: once per start, before any request is served."""
    await asyncio.to_thread(upgrade, ledger.settings.database_url, MIGRATIONS)
    seeded = await directory.seed(ledger)
    log.info("ledger_ready", **seeded)


class Runtime:
    """`prepared`: the parent of HTTP worker processes migrated and seeded already."""

    def __init__(self, ledger: Ledger, background: bool = True, prepared: bool = False) -> None:
        self.ledger = ledger
        self.background = background
        self.prepared = prepared
        self.broker: KafkaBroker | None = None
        self.relay: OutboxRelay | None = None
        self._stop = asyncio.Event()
        self._relay_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        settings = self.ledger.settings
        if not self.prepared:
            await prepare(self.ledger)
        if not self.background:
            return
        from task_ledger.entrypoints.messaging import build_broker

        self.broker = build_broker(settings, self.ledger) if settings.run_consumers else None
        if self.broker is None:
            from duban_common.kafka import make_broker

            self.broker = make_broker(settings)
        await self.broker.start()
        self.relay = OutboxRelay(
            self.ledger.write_engine,
            t.outbox,
            self.broker,
            batch_size=settings.outbox_batch_size,
        )
        self.ledger.relay = self.relay
        self._relay_task = asyncio.create_task(self.relay.run(self._stop), name="outbox-relay")

    async def stop(self) -> None:
        self._stop.set()
        if self.relay is not None:
            self.relay.wake()
        if self._relay_task is not None:
            try:
                await asyncio.wait_for(self._relay_task, timeout=10)
            except TimeoutError:
                self._relay_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._relay_task
        self.ledger.relay = None
        if self.broker is not None:
            await self.broker.stop()
        await self.ledger.dispose()
