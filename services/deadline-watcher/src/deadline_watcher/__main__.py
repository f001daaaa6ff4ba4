"""`python -m deadline_watcher`: migrate, then run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from deadline_watcher.entrypoints.service import WatcherService
from deadline_watcher.bootstrap import MIGRATIONS
from duban_common.migrations import upgrade
from deadline_watcher.settings import Settings
from duban_common.logging import configure_logging
from duban_common.telemetry import setup_tracing


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await WatcherService(settings).run(stop)


def main() -> None:
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    upgrade(settings.database_url, MIGRATIONS)
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
