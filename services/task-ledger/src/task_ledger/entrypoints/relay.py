"""`python -m task_ledger.entrypoints.relay`: run the outbox relay alone (operations, crash
tests). The service normally runs the relay inside its own process; this is the same loop on
the same skeleton (`duban_common.service.Service`), without HTTP or consumers."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from sqlalchemy import MetaData

from duban_common.db import make_engine
from duban_common.kafka import make_broker
from duban_common.outbox import OutboxRelay, outbox_table
from duban_common.service import Service, configure_process
from task_ledger.settings import Settings


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings)
    # Same table as `adapters.tables.outbox`, without importing the ORM models: this
    # process starts fast, which matters when it is restarted after a crash.
    table = outbox_table(MetaData(), "outbox")
    relay = OutboxRelay(
        engine,
        table,
        broker,
        batch_size=settings.outbox_batch_size,
        retention_seconds=settings.outbox_retention_seconds,
    )
    service = Service(settings, engine=engine, broker=broker, relay=relay, migrate=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    async with service:
        await stop.wait()


def main() -> None:
    settings = Settings()
    configure_process(settings, f"{settings.service_name}-relay")
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
