"""Every contract type through the real embedded broker, read back equal."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from duban_common.kafka import record_headers
from duban_contracts import ALL_TOPICS, ContractError, Envelope
from duban_contracts.examples import examples

pytestmark = pytest.mark.integration


async def test_every_contract_round_trips_through_the_broker(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex
    sent = [Envelope.wrap(m, producer=f"test-{run}") for m in examples()]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for env in sent:
            await producer.send_and_wait(
                env.topic,
                env.to_bytes(),
                key=env.key.encode(),
                headers=[(k, v.encode()) for k, v in record_headers(env).items()],
            )
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        *{e.topic for e in sent},
        bootstrap_servers=kafka_bootstrap,
        group_id=f"rt-{run}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[uuid.UUID, Envelope] = {}
    try:
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for rec in records:
                        # The topics are the session's: other tests' records (tombstones,
                        # poison on purpose) are there too.
                        try:
                            env = Envelope.from_bytes(rec.value or b"")
                        except ContractError:
                            continue
                        if env.producer == f"test-{run}":
                            assert rec.key == env.key.encode()
                            received[env.event_id] = env
    finally:
        await consumer.stop()
    for env in sent:
        assert received[env.event_id] == env
        assert received[env.event_id].open() == env.open()


async def test_fixture_created_every_topic_with_its_partitions(kafka_bootstrap: str) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap)
    await consumer.start()
    try:
        assert {t.name for t in ALL_TOPICS} <= await consumer.topics()
        for topic in ALL_TOPICS:
            assert len(consumer.partitions_for_topic(topic.name) or ()) == topic.partitions
    finally:
        await consumer.stop()
