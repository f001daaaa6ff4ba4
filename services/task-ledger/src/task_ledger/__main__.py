"""`python -m task_ledger`: logging and tracing, migrate, seed, serve API + broker + relay."""

from __future__ import annotations

import uvicorn

from duban_common.logging import configure_logging
from duban_common.telemetry import setup_tracing
from task_ledger.entrypoints.http import create_app
from task_ledger.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    setup_tracing(settings.service_name, settings.otlp_endpoint)
    app = create_app(settings)
    # uvicorn handles SIGINT/SIGTERM: the lifespan stops the relay and the broker cleanly.
    uvicorn.run(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
    )


if __name__ == "__main__":
    main()
