"""The running service: consumer, timer loop, outbox relay and health endpoint together."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import text

from deadline_watcher.adapters.tables import outbox
from deadline_watcher.entrypoints.health import HealthServer
from deadline_watcher.entrypoints.messaging import build_broker
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from deadline_watcher.settings import Settings
from duban_common.clock import Clock
from duban_common.logging import get_logger
from duban_common.outbox import OutboxRelay

log = get_logger(__name__)


async def serve(settings: Settings, stop: asyncio.Event, *, clock: Clock | None = None) -> None:
    """Run until `stop` is set, then stop consuming, finish the current batch and close."""
    ctx = WatcherContext.from_settings(settings, clock=clock)
    broker = build_broker(settings, context=ctx)
    relay = OutboxRelay(ctx.engine, outbox, broker)
    scheduler = Scheduler(ctx)
    ctx.on_commit = relay.wake

    async def ready() -> dict[str, bool]:
        checks = {"database": False, "broker": False}
        with contextlib.suppress(Exception):
            async with ctx.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = True
        with contextlib.suppress(Exception):
            checks["broker"] = bool(await broker.ping(timeout=2))
        return checks

    health = HealthServer(settings.http_host, settings.http_port, ready)
    await health.start()
    try:
        await broker.start()
        await scheduler.ensure_monthly_dispatch()
        log.info("watcher_started", database=ctx.engine.url.get_backend_name())
        workers = [
            asyncio.create_task(scheduler.run(stop), name="scheduler"),
            asyncio.create_task(relay.run(stop), name="outbox-relay"),
        ]
        await stop.wait()
        await asyncio.gather(*workers, return_exceptions=True)
    finally:
        await broker.stop()
        # Whatever was committed but not yet relayed goes out now (or on the next start).
        with contextlib.suppress(Exception):
            await broker.start()
            while await relay.relay_once():
                pass
            await broker.stop()
        await health.stop()
        await ctx.engine.dispose()
        log.info("watcher_stopped")
