"""`python -m deadline_watcher`: migrate, then run (timers, consumer, relay, health) until
Ctrl-C or SIGTERM."""

from __future__ import annotations

from deadline_watcher.bootstrap import create_app
from deadline_watcher.settings import Settings
from duban_common.service import configure_process, serve


def main() -> None:
    settings = Settings()
    configure_process(settings)
    serve(create_app(settings, freeze_heap=True), host=settings.http_host, port=settings.http_port)


if __name__ == "__main__":
    main()
