"""`python -m notifier`: consumer, delivery loop, outbox relay and the health endpoint.

Ctrl-C (or SIGTERM) stops consuming, lets the current delivery pass finish, and exits.
"""

from __future__ import annotations

from duban_common.service import configure_process, serve
from notifier.bootstrap import create_app
from notifier.settings import Settings


def main() -> None:
    settings = Settings()
    configure_process(settings)
    serve(
        create_app(settings, freeze_heap=True),
        host=settings.http_host,
        port=settings.http_port,
    )


if __name__ == "__main__":
    main()
