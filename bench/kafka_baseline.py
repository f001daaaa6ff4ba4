"""Raw aiokafka produce and consume on the same broker: the yardstick for every service figure."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.common import BenchContext, Result, entry
from duban_contracts import Envelope
from duban_contracts.examples import examples

N = 50_000
PARTITIONS = 12


async def _run(bootstrap: str) -> Result:
    topic = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    await admin.close()
    body = Envelope.wrap(examples()[5], producer="bench").to_bytes()  # a realistic record

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    t0 = time.perf_counter()
    futures = [await producer.send(topic, body, key=f"task-{i % 1000}".encode()) for i in range(N)]
    await asyncio.gather(*futures)
    produce_s = time.perf_counter() - t0
    await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got = 0
    started: float | None = None
    while got < N:
        batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
        if started is None and batch:
            started = time.perf_counter()  # exclude the group join from the figure
        for records in batch.values():
            got += len(records)
        await consumer.commit()
    consume_s = time.perf_counter() - (started or time.perf_counter())
    await consumer.stop()
    await _forget(bootstrap, topic)
    return {
        "kafka.raw_aiokafka.produce_per_s": entry(N / produce_s, "msg/s"),
        "kafka.raw_aiokafka.consume_per_s": entry(N / consume_s, "msg/s"),
    }


async def _forget(bootstrap: str, topic: str) -> None:
    """Delete the measured topic: the in-memory broker would otherwise keep 50,000 records per
    measurement (one before each benchmark module). A broker that cannot delete keeps them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    except Exception as exc:  # only memory is at stake
        print(f"baseline topic {topic} not deleted: {exc!r}", file=sys.stderr)
    finally:
        await admin.close()


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx.bootstrap_servers))
