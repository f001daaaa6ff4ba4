"""`python -m task_ledger`: logging and tracing, migrate, seed, serve API + broker + relay.

With DUBAN_HTTP_WORKERS > 1 (PostgreSQL only) this process migrates and seeds once, then
uvicorn runs that many worker processes on the one port; each serves HTTP, consumes its share
of the Kafka partitions (one consumer group) and runs a relay (one relays at a time: an
advisory lock).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from fastapi import FastAPI

from duban_common.logging import configure_logging
from duban_common.telemetry import setup_tracing
from task_ledger.entrypoints.http import create_app
from task_ledger.settings import Settings


def _configured() -> Settings:
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    return settings


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory; the parent prepared the database)."""
    return create_app(_configured(), prepared=True, freeze_heap=True)


async def _prepare(settings: Settings) -> None:
    from task_ledger.runtime import prepare
    from task_ledger.service_layer.uow import Ledger

    ledger = Ledger(settings)
    try:
        await prepare(ledger)
    finally:
        await ledger.dispose()


def main() -> None:
    settings = _configured()
    # uvicorn handles SIGINT/SIGTERM: the lifespan stops the relay and the broker cleanly.
    serving: dict[str, Any] = {"host": settings.http_host, "port": settings.http_port}
    if settings.http_workers > 1:
        asyncio.run(_prepare(settings))
        uvicorn.run(
            "task_ledger.__main__:worker_app",
            factory=True,
            workers=settings.http_workers,
            log_config=None,
            access_log=False,
            **serving,
        )
        return
    uvicorn.run(
        create_app(settings, freeze_heap=True), log_config=None, access_log=False, **serving
    )


if __name__ == "__main__":
    main()
