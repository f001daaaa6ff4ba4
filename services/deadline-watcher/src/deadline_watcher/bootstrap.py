"""Composition root of the deadline watcher: what differs from the one service skeleton
(`duban_common.service`). The consumer keeps the watcher's picture of each task and its timers;
the scheduler fires due timers into the outbox; the relay publishes them."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from deadline_watcher.adapters.tables import outbox
from deadline_watcher.entrypoints.messaging import build_broker
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from deadline_watcher.settings import Settings
from duban_common.clock import Clock
from duban_common.db import is_postgres
from duban_common.outbox import OutboxRelay
from duban_common.service import Service, service_app

MIGRATIONS = "deadline_watcher.adapters.migrations"


def relay_batch_size(engine: AsyncEngine) -> int:
    """The relay publishes inside its transaction; on SQLite that holds the only write lock,
    so small batches keep the timer loop from waiting behind a long publish."""
    return 500 if is_postgres(engine) else 100


class WatcherService(Service):
    migrations = MIGRATIONS
    log_prefix = "watcher"
    # Timers and the relay start at once; the consumer joins its group meanwhile (a join can
    # take long after a crash, and timers that came due during the downtime must not wait).
    join_in_background = True

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.ctx = WatcherContext.from_settings(settings, clock=clock)
        broker = build_broker(settings, context=self.ctx)
        relay = OutboxRelay(
            self.ctx.engine,
            outbox,
            broker,
            batch_size=relay_batch_size(self.ctx.engine),
            retention_seconds=settings.outbox_retention_seconds,
        )
        self.ctx.on_commit = relay.wake
        self.scheduler = Scheduler(self.ctx)
        super().__init__(
            settings, engine=self.ctx.engine, broker=broker, relay=relay, loops=[self.scheduler]
        )

    async def after_connect(self) -> None:
        await self.scheduler.ensure_monthly_dispatch()


def create_app(
    settings: Settings | None = None,
    service: WatcherService | None = None,
    *,
    freeze_heap: bool = False,
) -> FastAPI:
    """The watcher's app: health only; its lifespan runs the whole watcher."""
    service = service or WatcherService(settings or Settings())
    return service_app(
        service,
        freeze_heap=freeze_heap,
        title="督办 deadline watcher",
        docs_url=None,
        redoc_url=None,
    )
