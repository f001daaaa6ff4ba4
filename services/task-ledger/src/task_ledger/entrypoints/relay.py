"""`python -m task_ledger.entrypoints.relay`: run the outbox relay alone (operations, crash tests).

The service normally runs the relay inside its own process; this is the same loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from sqlalchemy import MetaData

from duban_common.db import make_engine
from duban_common.kafka import make_broker
from duban_common.logging import configure_logging
from duban_common.outbox import OutboxRelay, outbox_table
from task_ledger.settings import Settings


async def run(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    broker = make_broker(settings)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        # Same table as `adapters.tables.outbox`, without importing the ORM models: this
        # process starts fast, which matters when it is restarted after a crash.
        table = outbox_table(MetaData(), "outbox")
        relay = OutboxRelay(engine, table, broker, batch_size=settings.outbox_batch_size)
        await relay.run(stop)
    finally:
        await broker.stop()
        await engine.dispose()


def main() -> None:
    settings = Settings()
    configure_logging(f"{settings.service_name}-relay", settings.log_level, settings.log_json)
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
