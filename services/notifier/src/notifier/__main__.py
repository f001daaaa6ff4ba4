"""`python -m notifier`: consumer, delivery loop, outbox relay and the health endpoint.

Ctrl-C (or SIGTERM) stops consuming, lets the current delivery pass finish, and exits.
"""

from __future__ import annotations

import uvicorn

from duban_common.logging import configure_logging
from duban_common.telemetry import setup_tracing
from notifier.entrypoints.http import create_app
from notifier.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    uvicorn.run(
        create_app(settings, freeze_heap=True),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,  # keep our structlog set-up
        access_log=False,
    )


if __name__ == "__main__":
    main()
