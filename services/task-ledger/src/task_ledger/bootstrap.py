"""Composition root of the task ledger: what differs from the one service skeleton
(`duban_common.service`). Before serving it migrates and seeds the directory; with
`background` it runs the broker (the inbound batch consumer and the publisher) and the outbox
relay beside the HTTP app (`entrypoints/http.py`)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from duban_common.kafka import make_broker
from duban_common.logging import get_logger
from duban_common.migrations import upgrade
from duban_common.outbox import OutboxRelay
from duban_common.service import Service
from task_ledger.adapters import tables as t
from task_ledger.entrypoints.messaging import build_broker
from task_ledger.service_layer import directory, import_jobs
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

log = get_logger(__name__)

MIGRATIONS = "task_ledger.adapters.migrations"


async def seed(ledger: Ledger) -> None:
    """Departments of the registry and (outside production) the demo users."""
    seeded = await directory.seed(ledger)
    log.info("ledger_ready", **seeded)


async def prepare_database(settings: Settings) -> None:
    """Migrate and seed once, for the parent of HTTP worker processes (each worker's service
    is then built with `prepared=True`)."""
    await asyncio.to_thread(upgrade, settings.database_url, MIGRATIONS)
    ledger = Ledger(settings)
    try:
        await seed(ledger)
    finally:
        await ledger.dispose()


class LedgerService(Service):
    """`background`: run the broker and the relay (tests of the HTTP API alone do without).
    `prepared`: the parent of HTTP worker processes migrated and seeded already."""

    migrations = MIGRATIONS
    log_prefix = "ledger"

    def __init__(self, ledger: Ledger, *, background: bool = True, prepared: bool = False) -> None:
        settings = ledger.settings
        self.ledger = ledger
        self.prepared = prepared
        broker = relay = None
        loops = []
        if background:
            loops.append(import_jobs.ImportResumer(ledger))  # jobs a stopped process left
            broker = (
                build_broker(settings, ledger) if settings.run_consumers else make_broker(settings)
            )
            relay = OutboxRelay(
                ledger.write_engine,
                t.outbox,
                broker,
                batch_size=settings.outbox_batch_size,
                retention_seconds=settings.outbox_retention_seconds,
            )
        super().__init__(
            settings,
            engine=ledger.engine,
            broker=broker,
            relay=relay,
            loops=loops,
            migrate=not prepared,
        )

    async def prepare(self) -> None:
        if not self.prepared:
            await seed(self.ledger)
        # jieba's dictionary (~65 MB resident) is loaded by the first import preview that
        # matches measures, not at start: most ledger processes only serve liaisons and never
        # need it, and the first preview pays ~0.5 s once.
        self.ledger.relay = self.relay  # a commit wakes the relay

    async def close(self) -> None:
        self.ledger.relay = None
        await import_jobs.stop_jobs(self.ledger)  # taken over by another process at once
        await self.ledger.dispose()

    async def check_database(self) -> None:
        async with self.ledger.reading() as conn:
            await conn.execute(text("SELECT 1"))
