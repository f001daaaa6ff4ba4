"""`python -m task_ledger`: logging and tracing, migrate, seed, serve API + broker + relay.

With DUBAN_HTTP_WORKERS > 1 (PostgreSQL only) this process migrates and seeds once, then
uvicorn runs that many worker processes on the one port; each serves HTTP, consumes its share
of the Kafka partitions (one consumer group) and runs a relay (one relays at a time: an
advisory lock).
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from duban_common.service import configure_process, serve
from task_ledger.bootstrap import prepare_database
from task_ledger.entrypoints.http import create_app
from task_ledger.settings import Settings

# The ledger decides who the client is (`entrypoints.deps.client_address`, which believes
# X-Forwarded-For only from `settings.trusted_proxies`); uvicorn's own proxy handling would
# believe it from loopback and rewrite the peer before the ledger sees it.
UVICORN_OPTIONS = {"proxy_headers": False}


def _configured() -> Settings:
    settings = Settings()
    configure_process(settings)
    return settings


def worker_app() -> FastAPI:
    """The app of one worker process (uvicorn's factory; the parent prepared the database)."""
    return create_app(_configured(), prepared=True, freeze_heap=True)


def main() -> None:
    settings = _configured()
    # uvicorn handles SIGINT/SIGTERM: the lifespan stops the relay and the broker cleanly.
    if settings.http_workers > 1:
        asyncio.run(prepare_database(settings))
        serve(
            "task_ledger.__main__:worker_app",
            host=settings.http_host,
            port=settings.http_port,
            factory=True,
            workers=settings.http_workers,
            **UVICORN_OPTIONS,
        )
        return
    serve(
        create_app(settings, freeze_heap=True),
        host=settings.http_host,
        port=settings.http_port,
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":
    main()
