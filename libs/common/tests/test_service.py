"""The one service skeleton: lifespan, health and readiness, background loops, graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest

from duban_common.db import make_engine
from duban_common.kafka import envelope_subscriber, make_broker
from duban_common.service import Service, service_app
from duban_common.settings import ServiceSettings
from duban_contracts import Envelope, Message
from duban_contracts.topics import TASK_EVENTS

pytestmark = pytest.mark.integration


class Ticker:
    """A background loop that counts its passes and remembers how it ended."""

    def __init__(self, fail: bool = False) -> None:
        self.passes = 0
        self.woken = 0
        self.finished = False
        self.fail = fail
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self.woken += 1
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.passes += 1
            if self.fail:
                raise RuntimeError("the loop broke")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=0.05)
        self.finished = True


class Plain(Service):
    log_prefix = "plain"


def _client(app: object) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://svc")


async def test_lifespan_runs_the_loops_and_readiness_follows_the_service(tmp_path: Path) -> None:
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 's.db'}")
    ticker = Ticker()
    service = Plain(
        settings, engine=make_engine(settings.database_url), broker=None, loops=[ticker]
    )
    app = service_app(service)
    async with _client(app) as client:
        before = await client.get("/health/ready")
        assert before.status_code == 503
        assert before.headers["content-type"] == "application/problem+json"
        assert before.json()["detail"] == "服务正在启动"
        async with app.router.lifespan_context(app):
            assert (await client.get("/health/live")).json() == {"status": "ok"}
            ready = await client.get("/health/ready")
            assert ready.status_code == 200
            assert ready.json() == {"status": "ready", "checks": {"database": True}}
            await asyncio.sleep(0.1)
            assert ticker.passes >= 1 and not ticker.finished
        # Stopping wakes the loop and lets it finish its pass instead of cancelling it.
        assert ticker.finished and ticker.woken >= 1
        assert (await client.get("/health/ready")).status_code == 503


async def test_a_dead_loop_or_database_makes_the_service_unready(tmp_path: Path) -> None:
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 's.db'}")
    broken = Plain(
        settings, engine=make_engine(settings.database_url), broker=None, loops=[Ticker(fail=True)]
    )
    async with broken:
        await asyncio.sleep(0.05)
        async with _client(service_app(broken)) as client:
            answer = await client.get("/health/ready")
        assert answer.status_code == 503 and answer.json()["detail"] == "后台任务已停止"

    # Nothing listens on port 1: the database does not answer.
    unreachable = make_engine("postgresql://postgres@127.0.0.1:1/none")
    no_db = Plain(settings, engine=unreachable, broker=None)
    no_db.started = True  # as if it had started, then lost its database
    async with _client(service_app(no_db)) as client:
        answer = await client.get("/health/ready")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": False}
    assert answer.json()["detail"] == "数据库不可用"
    await no_db.engine.dispose()


async def test_with_a_broker_readiness_waits_for_the_consumer_and_stop_is_clean(
    tmp_path: Path, kafka_bootstrap: str, unique_group: str
) -> None:
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 's.db'}", kafka_bootstrap_servers=kafka_bootstrap
    )
    broker = make_broker(settings)
    seen: list[str] = []

    async def handle(envelope: Envelope, message: Message) -> None:
        seen.append(str(envelope.event_id))

    envelope_subscriber(
        broker, TASK_EVENTS.name, group_id=unique_group, handler=handle, settings=settings
    )

    class Joining(Plain):
        join_in_background = True

    service = Joining(settings, engine=make_engine(settings.database_url), broker=broker)
    async with service:
        await service.wait_consuming()
        async with _client(service_app(service)) as client:
            ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": True, "broker": True, "consuming": True}
    assert not service.consuming and not service.started
