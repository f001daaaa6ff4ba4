"""The running service: consumer, timer loop, outbox relay and health endpoint together."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from deadline_watcher.adapters.tables import outbox
from deadline_watcher.entrypoints.health import HealthServer
from deadline_watcher.entrypoints.messaging import build_broker
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from deadline_watcher.settings import Settings
from duban_common.clock import Clock
from duban_common.db import is_postgres
from duban_common.heap import freeze_startup_heap
from duban_common.logging import get_logger
from duban_common.outbox import OutboxRelay

log = get_logger(__name__)


def relay_batch_size(engine: AsyncEngine) -> int:
    """The relay publishes inside its transaction; on SQLite that holds the only write lock,
    so small batches keep the timer loop from waiting behind a long publish."""
    return 500 if is_postgres(engine) else 100


class WatcherService:
    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.ctx = WatcherContext.from_settings(settings, clock=clock)
        self.broker = build_broker(settings, context=self.ctx)
        self.relay = OutboxRelay(
            self.ctx.engine, outbox, self.broker, batch_size=relay_batch_size(self.ctx.engine)
        )
        self.scheduler = Scheduler(self.ctx)
        self.ctx.on_commit = self.relay.wake
        self.health = HealthServer(settings.http_host, settings.http_port, self.ready)
        self._stop = asyncio.Event()
        self._workers: list[asyncio.Task[None]] = []
        self._consumer: asyncio.Task[None] | None = None
        self.consuming = False

    async def ready(self) -> dict[str, bool]:
        checks = {"database": False, "broker": False, "consuming": self.consuming}
        with contextlib.suppress(Exception):
            async with self.ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        with contextlib.suppress(Exception):
            checks["broker"] = bool(await self.broker.ping(timeout=2))
        return checks

    async def start(self) -> None:
        """Timers and the relay start at once; the consumer joins its group meanwhile.

        A group join can take long after a crash (the dead member must time out first);
        timers that came due during the downtime must not wait for it.
        """
        await self.health.start()
        await self.broker.connect()
        await self.scheduler.ensure_monthly_dispatch()
        self._workers = [
            asyncio.create_task(self.scheduler.run(self._stop), name="scheduler"),
            asyncio.create_task(self.relay.run(self._stop), name="outbox-relay"),
        ]
        self._consumer = asyncio.create_task(self._start_consuming(), name="consumer-start")
        log.info("watcher_started", database=self.ctx.engine.url.get_backend_name())

    async def _start_consuming(self) -> None:
        await self.broker.start()
        self.consuming = True
        log.info("watcher_consuming", group=self.settings.consumer_group)

    async def wait_consuming(self) -> None:
        if self._consumer is not None:
            await self._consumer

    async def stop(self) -> None:
        """Stop consuming, let the current batch finish, relay what is committed, close."""
        self._stop.set()
        if self._consumer is not None and not self._consumer.done():
            self._consumer.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        with contextlib.suppress(Exception):
            while await self.relay.relay_once():
                pass
        with contextlib.suppress(asyncio.CancelledError):
            await self.broker.stop()
        await self.health.stop()
        await self.ctx.engine.dispose()
        log.info("watcher_stopped")

    async def run(self, stop: asyncio.Event) -> None:
        """The service process's life (`python -m deadline_watcher`)."""
        await self.start()
        freeze_startup_heap()
        try:
            await stop.wait()
        finally:
            await self.stop()
