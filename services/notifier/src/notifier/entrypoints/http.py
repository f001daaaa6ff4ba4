"""A tiny health endpoint; its lifespan runs the whole notifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from duban_common.heap import freeze_startup_heap
from notifier.bootstrap import NotifierService
from notifier.settings import Settings


def create_app(
    settings: Settings | None = None,
    service: NotifierService | None = None,
    *,
    freeze_heap: bool = False,
) -> FastAPI:
    """`freeze_heap`: for the service process (see `duban_common.heap`)."""
    settings = settings or Settings()
    notifier = service or NotifierService(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await notifier.start()
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            await notifier.stop()

    app = FastAPI(title="Duban notifier", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready")
    async def ready() -> JSONResponse:
        if await notifier.ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready", "detail": "通知服务尚未就绪"}, status_code=503)

    app.state.notifier = notifier
    return app
