"""The embedded broker keeps nothing over a restart. Restarted at any moment, with any service
down, nothing is lost: relays republish their retention window to a broker with a new cluster
id, consumers start their groups on it from the earliest offset and drop what their inbox has
seen, and services start and serve while the broker is away, not ready until it is back.

Each test runs a producing service (outbox + relay) and a consuming service (inbox-deduped
handler) on the `Service` skeleton, on both stores, against a broker of its own that it kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common import inbox, outbox
from duban_common.db import make_engine
from duban_common.embedded_broker import EmbeddedBroker, free_port
from duban_common.kafka import envelope_subscriber, make_broker
from duban_common.service import Service, service_app
from duban_common.settings import ServiceSettings
from duban_common.testing.polling import eventually
from duban_contracts import Envelope, Message
from duban_contracts.events import TaskDispatched
from duban_contracts.topics import TASK_EVENTS

pytestmark = pytest.mark.integration

metadata = MetaData()
outbox_t = outbox.outbox_table(metadata, "loss_outbox")
inbox_t = inbox.inbox_table(metadata, "loss_inbox")


class Plain(Service):
    log_prefix = "loss"


@dataclass
class System:
    """One broker (restartable on its port), one database, a producer and a consumer."""

    db_url: str
    log_dir: Path
    engine: AsyncEngine
    port: int = field(default_factory=free_port)
    group: str = field(default_factory=lambda: f"loss-{uuid.uuid4().hex[:8]}")
    task: str = field(default_factory=lambda: f"t-{uuid.uuid4().hex[:8]}")
    broker: EmbeddedBroker | None = None
    producer: Service | None = None
    consumer: Service | None = None
    handled: Counter[str] = field(default_factory=Counter)  # effects, once per inbox claim
    sent: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def settings(self) -> ServiceSettings:
        return ServiceSettings(
            database_url=self.db_url, kafka_bootstrap_servers=f"127.0.0.1:{self.port}"
        )

    async def start_broker(self) -> None:
        self.broker = EmbeddedBroker(port=self.port, log_file=self.log_dir / "broker.log")
        await asyncio.to_thread(self.broker.start)

    async def kill_broker(self) -> None:
        assert self.broker is not None
        await asyncio.to_thread(self.broker.stop)
        self.broker = None

    async def start_producer(self) -> Service:
        settings = self.settings()
        broker = make_broker(settings)
        relay = outbox.OutboxRelay(make_engine(self.db_url), outbox_t, broker, poll_interval=0.1)
        self.producer = Plain(settings, engine=relay.engine, broker=broker, relay=relay)
        await self.producer.start()
        return self.producer

    async def start_consumer(self) -> Service:
        settings = self.settings()
        broker = make_broker(settings)
        engine = make_engine(self.db_url)

        async def handle(envelope: Envelope, message: Message) -> None:
            if getattr(message, "task_id", None) != self.task:
                return
            await self.gate.wait()  # a test holds the consumer mid-message
            async with engine.begin() as conn:
                fresh = await inbox.claim(conn, inbox_t, "loss", str(envelope.event_id))
            if fresh:
                self.handled[str(envelope.event_id)] += 1

        envelope_subscriber(
            broker, TASK_EVENTS.name, group_id=self.group, handler=handle, settings=settings
        )
        self.consumer = Plain(settings, engine=engine, broker=broker)
        await self.consumer.start()
        return self.consumer

    async def stop(self, which: str) -> None:
        service = getattr(self, which)
        if service is not None:
            await service.stop()
            setattr(self, which, None)

    async def emit(self, n: int) -> None:
        envelopes = [
            Envelope.wrap(
                TaskDispatched(task_id=self.task, due_on=None, actor_id=f"a{len(self.sent) + i}"),
                producer="loss-test",
            )
            for i in range(n)
        ]
        async with self.engine.begin() as conn:
            await outbox.append(conn, outbox_t, envelopes)
        self.sent += [str(e.event_id) for e in envelopes]
        if self.producer is not None and self.producer.relay is not None:
            self.producer.relay.wake()

    async def published(self) -> bool:
        relay = outbox.OutboxRelay(self.engine, outbox_t, make_broker(self.settings()))
        return await relay.pending_count() == 0

    async def all_handled_once(self) -> None:
        await eventually(
            lambda: set(self.handled) == set(self.sent), 90, "every event handled", 0.1
        )
        await asyncio.sleep(1.0)  # republished duplicates, if any, arrive meanwhile
        assert set(self.handled) == set(self.sent)
        assert set(self.handled.values()) == {1}  # the inbox dropped every duplicate


@pytest.fixture
async def system(db_url: str, tmp_path: Path) -> AsyncIterator[System]:
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    found = System(db_url, tmp_path, engine)
    found.gate.set()
    await found.start_broker()
    yield found
    for which in ("consumer", "producer"):
        with contextlib.suppress(Exception):
            await found.stop(which)
    if found.broker is not None:
        found.broker.stop()
    await engine.dispose()


async def test_restart_before_the_relay_publishes(system: System) -> None:
    await system.start_consumer()
    await system.emit(5)  # committed while the producer is down: nothing published yet
    await system.kill_broker()
    await system.start_broker()
    await system.start_producer()
    await system.all_handled_once()


async def test_restart_while_the_consumer_is_down_republishes_the_window(system: System) -> None:
    await system.start_producer()
    await system.start_consumer()
    await system.emit(3)
    await eventually(lambda: len(system.handled) == 3, 60, "the first events handled", 0.1)
    await system.stop("consumer")
    await system.emit(5)  # published to the broker, not yet read by anyone
    await eventually(system.published, 60, "the relay published the new events", 0.1)
    await system.kill_broker()  # the five go with it
    await system.start_broker()
    await system.start_consumer()
    await system.all_handled_once()


async def test_restart_after_publish_before_the_consumer_commits(system: System) -> None:
    await system.start_producer()
    await system.start_consumer()
    system.gate.clear()  # the consumer holds the first event it receives, uncommitted
    await system.emit(4)
    await eventually(system.published, 60, "the relay published", 0.1)
    await system.kill_broker()
    await system.start_broker()
    system.gate.set()
    await system.all_handled_once()


async def test_services_start_and_serve_while_the_broker_is_down(system: System) -> None:
    await system.kill_broker()
    producer = await system.start_producer()  # neither start waits for the broker
    consumer = await system.start_consumer()
    await system.emit(4)
    for service in (producer, consumer):
        transport = httpx.ASGITransport(app=service_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            assert (await client.get("/health/live")).status_code == 200
            ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["broker"] is False
        assert "消息队列" in ready.json()["detail"]
    await system.start_broker()
    await system.all_handled_once()
    await eventually(lambda: consumer.consuming, 60, "the consumer joined", 0.1)
    assert all((await consumer.checks()).values())
