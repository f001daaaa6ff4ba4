"""The shared delivery machinery on the real broker and both stores."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import MetaData, func, select

from duban_common import inbox, outbox
from duban_common.db import make_engine
from duban_common.kafka import envelope_subscriber, make_broker, publish_envelope
from duban_common.settings import ServiceSettings
from duban_common.testing.polling import eventually
from duban_contracts import DEAD_LETTER, Envelope, Message
from duban_contracts.events import TaskClosed, TaskDispatched
from duban_contracts.topics import HEADER_DLQ_REASON, TASK_EVENTS

pytestmark = pytest.mark.integration


async def _read(bootstrap: str, topic: str, want, n: int, timeout: float = 30):  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    got = []
    try:
        async with asyncio.timeout(timeout):
            while len(got) < n:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    got.extend(r for r in records if want(r))
    finally:
        await consumer.stop()
    return got


async def test_poison_goes_to_dead_letter_and_does_not_block(
    kafka_bootstrap: str, unique_group: str
) -> None:
    settings = ServiceSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_max_attempts=2,
        consumer_retry_base_seconds=0.01,
    )
    broker = make_broker(settings)
    task = f"t-{uuid.uuid4().hex[:8]}"
    handled: list[Message] = []
    calls = {"boom": 0}

    async def handle(env: Envelope, msg: Message) -> None:
        if getattr(msg, "task_id", None) != task:
            return  # the topic is shared by the whole session
        if isinstance(msg, TaskDispatched):
            calls["boom"] += 1
            raise RuntimeError("数据库不可用")
        handled.append(msg)

    envelope_subscriber(
        broker, TASK_EVENTS.name, group_id=unique_group, handler=handle, settings=settings
    )
    async with broker:
        await broker.start()
        await broker.publish(b"not an envelope", topic=TASK_EVENTS.name, key=task.encode())
        await publish_envelope(
            broker, Envelope.wrap(TaskDispatched(task_id=task, due_on=None), producer="t")
        )
        await publish_envelope(broker, Envelope.wrap(TaskClosed(task_id=task), producer="t"))
        await eventually(
            lambda: any(getattr(m, "task_id", None) == task for m in handled),
            what="the task's events handled",
        )

    assert calls["boom"] == 2
    dead = await _read(kafka_bootstrap, DEAD_LETTER.name, lambda r: r.key == task.encode(), 2)
    reasons = sorted(dict(r.headers)[HEADER_DLQ_REASON].decode() for r in dead)
    assert reasons[0].startswith("处理失败") and "数据库不可用" in reasons[0]
    assert reasons[1].startswith("无法解析的消息")


async def test_outbox_relay_publishes_in_order_once_marked(
    db_url: str, kafka_bootstrap: str
) -> None:
    md = MetaData()
    table = outbox.outbox_table(md)
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    task = f"t-{uuid.uuid4().hex[:8]}"
    trace_id = uuid.uuid4().hex
    envs = [
        Envelope.wrap(
            TaskDispatched(task_id=task, due_on=None, actor_id=f"a{i}"),
            producer="t",
            traceparent=f"00-{trace_id}-00f067aa0ba902b7-01" if i % 2 else None,
        )
        for i in range(30)
    ]
    async with engine.begin() as conn:
        await outbox.append(conn, table, envs)
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap))
    async with broker:
        await broker.start()
        relay = outbox.OutboxRelay(engine, table, broker, batch_size=7)
        total = 0
        while n := await relay.relay_once():
            total += n
        assert total == 30
        assert await relay.pending_count() == 0
    got = await _read(kafka_bootstrap, TASK_EVENTS.name, lambda r: r.key == task.encode(), 30)
    assert [Envelope.from_bytes(r.value).event_id for r in got] == [e.event_id for e in envs]
    # The relay continues each event's trace from the outbox's traceparent column.
    traced = [dict(r.headers).get("traceparent") for r in got]
    # A row without one starts no trace of its own, or a new one when a tracer provider is set
    # (another test of this process may have set one): never the row's neighbour's trace.
    continued = [t is not None and t.decode().split("-")[1] == trace_id for t in traced]
    assert continued == [bool(i % 2) for i in range(30)]
    await engine.dispose()


async def test_inbox_claims_each_event_once(db_url: str) -> None:
    md = MetaData()
    table = inbox.inbox_table(md)
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(md.create_all)
    eid = str(uuid.uuid4())
    async with engine.begin() as conn:
        assert await inbox.claim(conn, table, "c", eid)
    async with engine.begin() as conn:
        assert not await inbox.claim(conn, table, "c", eid)
        assert await inbox.claim(conn, table, "other", eid)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(table)) == 2
    await engine.dispose()
