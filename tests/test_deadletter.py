"""`duban deadletter list|replay` on the real embedded broker.

The dead letters are written by `duban_common.kafka.dead_letter`, as every consumer writes them.
Their origin header names a topic of this test's own, so replaying them feeds no service's
consumer that other tests run.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from typer.testing import CliRunner

from duban.cli import app
from duban_common.kafka import dead_letter, make_broker
from duban_common.settings import ServiceSettings
from duban_contracts import Envelope
from duban_contracts.events import TaskAcknowledged, TaskDispatched
from duban_contracts.topics import HEADER_DLQ_REPLAYED, HEADER_EVENT_TYPE

pytestmark = pytest.mark.integration

runner = CliRunner()


async def _create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
    finally:
        await admin.close()


async def _dead_letter(bootstrap: str, raw: bytes, key: str, reason: str, source: str) -> None:
    broker = make_broker(ServiceSettings(kafka_bootstrap_servers=bootstrap))
    async with broker:
        await broker.start()
        await dead_letter(broker, raw, key.encode(), reason, source)


async def _read_all(bootstrap: str, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        async with asyncio.timeout(20):
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += batch
        return records
    finally:
        await consumer.stop()


def _cli(*args: str) -> Any:
    return runner.invoke(app, ["deadletter", *args])


def test_list_shows_dead_letters_and_replay_puts_them_back_on_their_topic(
    kafka_bootstrap: str,
) -> None:
    topic = f"duban.test.replay-{uuid.uuid4().hex[:8]}"
    task = f"t-dlq-{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_topic(kafka_bootstrap, topic))
    first = Envelope.wrap(TaskDispatched(task_id=task, due_on=None), producer="test")
    second = Envelope.wrap(TaskAcknowledged(task_id=task, department_id="d-1"), producer="test")
    asyncio.run(
        _dead_letter(kafka_bootstrap, first.to_bytes(), task, "处理失败：甲", f"{topic}:0:41")
    )
    time.sleep(1.2)
    between = datetime.now(UTC)
    time.sleep(0.2)
    asyncio.run(
        _dead_letter(kafka_bootstrap, second.to_bytes(), task, "处理失败：乙", f"{topic}:0:42")
    )
    asyncio.run(
        _dead_letter(kafka_bootstrap, b"not json", task, "无法解析的消息：丙", f"{topic}:1:7")
    )

    listed = _cli("list", "--format", "json", "--kafka", kafka_bootstrap)
    assert listed.exit_code == 0, listed.output
    mine = [letter for letter in json.loads(listed.output) if letter["key"] == task]
    assert [letter["reason"] for letter in mine] == [
        "处理失败：甲",
        "处理失败：乙",
        "无法解析的消息：丙",
    ]
    assert [letter["event_id"] for letter in mine] == [
        str(first.event_id),
        str(second.event_id),
        None,
    ]
    assert [letter["event_type"] for letter in mine] == [
        "task.dispatched",
        "task.acknowledged",
        None,
    ]
    assert {letter["original_topic"] for letter in mine} == {topic}
    assert mine[0]["source"] == f"{topic}:0:41"
    table = _cli("list", "--kafka", kafka_bootstrap)
    assert table.exit_code == 0 and "处理失败：乙" in table.output

    # All since a time, looked at first: the later two, not the first.
    preview = _cli(
        "replay", "--since", between.isoformat(), "--dry-run", "--kafka", kafka_bootstrap
    )
    assert preview.exit_code == 0, preview.output
    assert str(second.event_id) in preview.output and mine[2]["position"] in preview.output
    assert str(first.event_id) not in preview.output
    assert asyncio.run(_read_all(kafka_bootstrap, topic)) == []  # a dry run publishes nothing

    by_id = _cli("replay", "--event-id", str(first.event_id), "--kafka", kafka_bootstrap)
    assert by_id.exit_code == 0, by_id.output
    assert "共重放 1 条" in by_id.output
    by_position = _cli("replay", "--offset", mine[2]["position"], "--kafka", kafka_bootstrap)
    assert by_position.exit_code == 0, by_position.output

    replayed = asyncio.run(_read_all(kafka_bootstrap, topic))
    assert sorted(r.value for r in replayed) == sorted([first.to_bytes(), b"not json"])
    assert {r.key for r in replayed} == {task.encode()}  # same key, so the task's partition
    assert len({r.partition for r in replayed}) == 1
    headers = {r.value: dict(r.headers) for r in replayed}
    assert headers[first.to_bytes()][HEADER_EVENT_TYPE] == b"task.dispatched"
    assert (
        headers[b"not json"][HEADER_DLQ_REPLAYED]
        == f"duban.deadletter:{mine[2]['position']}".encode()
    )


def test_replay_refuses_bad_or_missing_selectors_with_a_clear_message(kafka_bootstrap: str) -> None:
    nothing = _cli("replay", "--kafka", kafka_bootstrap)
    assert nothing.exit_code == 2 and "--offset、--event-id 或 --since" in nothing.output
    bad_position = _cli("replay", "--offset", "abc", "--kafka", kafka_bootstrap)
    assert bad_position.exit_code == 2 and "分区:偏移量" in bad_position.output
    bad_time = _cli("list", "--since", "yesterday", "--kafka", kafka_bootstrap)
    assert bad_time.exit_code == 2 and "ISO 8601" in bad_time.output
    unknown = str(uuid.uuid4())
    missing = _cli("replay", "--event-id", unknown, "--kafka", kafka_bootstrap)
    assert missing.exit_code == 2 and f"死信主题中没有：{unknown}" in missing.output
    unreachable = _cli("list", "--kafka", "127.0.0.1:1")
    assert unreachable.exit_code == 2 and "无法连接 Kafka" in unreachable.output
