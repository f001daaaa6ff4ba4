"""The one service skeleton: what every Duban service process runs, and how it starts and stops.

A service's `bootstrap.py` subclasses `Service` and says only what is different: its engine,
its broker (subscribers wired to its message bus), its outbox relay, its background loops, its
migrations package, and any start-up or shut-down steps of its own. `service_app` turns a
service into a FastAPI app whose lifespan starts and stops it and which serves `/health/live`
and `/health/ready`; `serve` runs that app under uvicorn, whose SIGINT/SIGTERM handling ends the
lifespan, i.e. stops the service gracefully.

Start: migrate → `prepare()` → connect the broker (publishing works) → background loops →
consumers join their groups (at once, or in the background with `join_in_background`: a group
join can take long after a crash, and timers that came due meanwhile must not wait for it).
A broker that is away at start does not stop the service: it serves HTTP, its loops run (the
relay keeps what it cannot publish in the outbox), readiness says "消息队列不可用" and the
connection and the consumers' join are retried in the background until the broker is back.
Stop: consumers stop (no new work) → loops finish their pass → the relay publishes what is
committed → broker stops → `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, Protocol, Self

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.heap import freeze_startup_heap
from duban_common.logging import configure_logging, get_logger
from duban_common.migrations import upgrade
from duban_common.outbox import OutboxRelay
from duban_common.settings import ServiceSettings
from duban_common.telemetry import setup_tracing

log = get_logger(__name__)

PROBLEM = "application/problem+json"
STOP_TIMEOUT_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 10.0
CHECK_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 5.0
RECONNECT_MAX_SECONDS = 10.0


class Loop(Protocol):
    """A background loop: runs until `stop` is set; `wake()` (if any) cuts its sleep short."""

    def run(self, stop: asyncio.Event) -> Coroutine[Any, Any, None]: ...


class Service:
    """One running service. Subclasses set the parts in `__init__` and may override
    `prepare`, `close` and `check_database`."""

    migrations: str | None = None  # dotted name of the Alembic scripts package
    log_prefix = "service"  # its log events: <prefix>_started, _consuming, _stopped
    join_in_background: bool = False

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        engine: AsyncEngine,
        broker: KafkaBroker | None,
        relay: OutboxRelay | None = None,
        loops: Sequence[Loop] = (),
        migrate: bool = True,
    ) -> None:
        self.settings = settings
        self.name = settings.service_name
        self.engine = engine
        self.broker = broker
        self.relay = relay
        self.loops: list[Loop] = [*loops, *([relay] if relay is not None else [])]
        self.migrate = migrate
        self.started = False
        self.consuming = False
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._joining: asyncio.Task[None] | None = None

    # What a service may add --------------------------------------------------------------

    async def prepare(self) -> None:
        """After migrations, before the broker connects (e.g. seeding)."""

    async def after_connect(self) -> None:
        """Once the broker can publish, before the loops start."""

    async def close(self) -> None:
        """Last step of `stop`: close what the service opened (the engine by default)."""
        await self.engine.dispose()

    async def check_database(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    # The life of a service -----------------------------------------------------------------

    async def start(self) -> None:
        if self.migrate and self.migrations:
            await asyncio.to_thread(upgrade, self.settings.database_url, self.migrations)
        await self.prepare()
        connected = await self._connect_broker()
        await self.after_connect()
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(loop.run(self._stop), name=f"{self.name}-{type(loop).__name__}")
            for loop in self.loops
        ]
        for task in self._tasks:
            task.add_done_callback(self._loop_ended)
        if self.join_in_background or not connected:
            self._joining = asyncio.create_task(self._join(), name=f"{self.name}-join")
        else:
            await self._consume()
        self.started = True
        log.info(f"{self.log_prefix}_started", database=self.engine.dialect.name)

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        """A loop that dies before the stop is logged at once (readiness then fails)."""
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("loop_failed", loop=task.get_name(), error=repr(error), exc_info=error)

    async def _connect_broker(self) -> bool:
        """Connect for publishing; False (logged) when the broker does not answer."""
        if self.broker is None:
            return True
        try:
            await asyncio.wait_for(self.broker.connect(), CONNECT_TIMEOUT_SECONDS)
            return True
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("broker_unavailable_at_start", error=repr(exc))
            with contextlib.suppress(Exception):
                await self.broker.stop()  # the half-made producer; `_join` makes a new one
            return False

    async def _join(self) -> None:
        """Connect and join the consumer groups, retrying until the broker answers."""
        delay = 0.5
        while True:
            try:
                await self._consume()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("broker_join_retry", error=repr(exc), retry_in=delay)
                with contextlib.suppress(Exception):
                    await self.broker.stop()  # type: ignore[union-attr]  # a clean next try
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _consume(self) -> None:
        if self.broker is None:
            return
        await self.broker.start()
        self.consuming = True
        log.info(
            f"{self.log_prefix}_consuming", group=getattr(self.settings, "consumer_group", None)
        )

    async def wait_consuming(self) -> None:
        """Until the consumers have joined their groups (`join_in_background`)."""
        if self._joining is not None:
            await self._joining

    async def stop(self) -> None:
        self.started = False
        if self._joining is not None and not self._joining.done():
            self._joining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._joining
        if self.broker is not None:
            for subscriber in self.broker.subscribers:
                await subscriber.stop()  # no new work; the loops finish theirs
        self.consuming = False
        self._stop.set()
        for loop in self.loops:
            wake: Callable[[], None] | None = getattr(loop, "wake", None)
            if wake is not None:
                wake()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_SECONDS)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []
        await self._drain_relay()
        if self.broker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.broker.stop()
        await self.close()
        log.info(f"{self.log_prefix}_stopped")

    async def _drain_relay(self) -> None:
        """Publish what was committed while stopping (a relay that cannot, leaves it for the
        next start: the outbox keeps it)."""
        if self.relay is None or self.broker is None:
            return
        relay = self.relay

        async def drain() -> None:
            while await relay.relay_once():
                pass

        with contextlib.suppress(Exception):
            await asyncio.wait_for(drain(), DRAIN_TIMEOUT_SECONDS)

    async def checks(self) -> dict[str, bool]:
        """What readiness reports: the database answers, and (with a broker) the broker
        answers and the consumers have joined."""
        found = {"database": False}
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.check_database(), CHECK_TIMEOUT_SECONDS)
            found["database"] = True
        if self.broker is not None:
            found["broker"] = False
            with contextlib.suppress(Exception):
                found["broker"] = bool(await self.broker.ping(timeout=CHECK_TIMEOUT_SECONDS))
            found["consuming"] = self.consuming
        return found

    def loops_alive(self) -> bool:
        return all(not task.done() for task in self._tasks)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document, the one error style of every service's HTTP answers."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


health = APIRouter(tags=["health"])


@health.get("/health/live")
async def live() -> dict[str, str]:
    """The process answers (restart it when it does not)."""
    return {"status": "ok"}


@health.get("/health/ready", responses={503: {"description": "not ready (problem+json)"}})
async def ready(request: Request) -> Any:
    """Ready for traffic: started, loops alive, database and broker answering, consuming."""
    service: Service = request.app.state.service
    checks = await service.checks()
    if not service.started:
        return problem(503, "服务不可用", "服务正在启动", checks=checks)
    if not service.loops_alive():
        return problem(503, "服务不可用", "后台任务已停止", checks=checks)
    if not all(checks.values()):
        failed = "、".join(CHECK_NAMES.get(name, name) for name, ok in checks.items() if not ok)
        return problem(503, "服务不可用", f"{failed}不可用", checks=checks)
    return {"status": "ready", "checks": checks}


CHECK_NAMES = {"database": "数据库", "broker": "消息队列", "consuming": "消费者"}


def service_app(service: Service, *, freeze_heap: bool = False, **fastapi: Any) -> FastAPI:
    """A FastAPI app whose lifespan starts and stops `service` and which serves its health.
    `freeze_heap`: for the service process (see `duban_common.heap`). The service's own
    routers are included by the caller."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        if freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(lifespan=lifespan, **fastapi)
    app.state.service = service
    app.include_router(health)
    return app


def configure_process(settings: ServiceSettings, service_name: str | None = None) -> None:
    """Logging and tracing, once per process, before anything logs."""
    name = service_name or settings.service_name
    configure_logging(name, settings.log_level, settings.log_json)
    setup_tracing(name, settings.otlp_endpoint)


def serve(app: FastAPI | str, *, host: str, port: int, **uvicorn_options: Any) -> None:
    """Run an app (or an import string with `factory=True`) under uvicorn until SIGINT or
    SIGTERM; uvicorn then ends the lifespan, which stops the service gracefully."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # keep the structlog set-up
        access_log=False,
        **uvicorn_options,
    )
