"""On the real broker: outbox order per task, idempotent inbound events, dead letters,
and a relay killed with SIGKILL mid-batch losing nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from ledger_helpers import START, Api, ledger_settings, read_topic
from sqlalchemy import func, select

from duban_common import batch_consumer
from duban_common.batch_consumer import Inbound, handle_records
from duban_common.clock import ManualClock
from duban_common.db import make_engine
from duban_common.kafka import dead_letter, make_broker
from duban_common.migrations import upgrade
from duban_common.outbox import append
from duban_common.testing.polling import eventually
from duban_contracts import Envelope
from duban_contracts import events as ev
from duban_contracts.topics import DEAD_LETTER, HEADER_DLQ_REASON, SUPERVISION_EVENTS, TASK_EVENTS
from duban_contracts.vocabulary import ReminderKind, TaskStatus
from task_ledger.adapters import tables as t
from task_ledger.bootstrap import MIGRATIONS
from task_ledger.entrypoints import messaging
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.uow import Ledger

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def live(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    """One ledger with its broker, consumers and relay running, shared by this module."""
    tmp = tmp_path_factory.mktemp("ledger-live")
    settings = ledger_settings(
        f"sqlite:///{tmp / 'ledger.db'}",
        tmp,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"test-ledger-{uuid.uuid4().hex[:8]}",
        consumer_batch_timeout_ms=20,
        consumer_max_attempts=2,
        consumer_retry_base_seconds=0.01,
    )
    clock = ManualClock(START)
    ledger = Ledger(settings, clock)
    app = create_app(settings, ledger=ledger, background=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            api = Api(client, ledger, clock, app)
            await api.import_seed()
            yield api


async def test_task_events_reach_kafka_in_order_per_task(live: Api, kafka_bootstrap: str) -> None:
    sup = await live.login("supervisor")
    items = (await live.client.get("/api/tasks", params={"page_size": 3}, headers=sup)).json()
    ids = [x["id"] for x in items["items"]]
    for x in items["items"]:
        lead = await live.liaison_of(x["lead_department_ids"][0])
        await live.client.post(f"/api/tasks/{x['id']}/dispatch", headers=sup)
        await live.client.post(f"/api/tasks/{x['id']}/acknowledge", headers=lead)
        for percent in ("10", "20", "30"):
            r = await live.client.post(
                f"/api/tasks/{x['id']}/progress-reports", data={"percent": percent}, headers=lead
            )
            assert r.status_code == 201
    expected = {
        i: [str(Envelope.from_bytes(r.body).event_id) for r in await live.outbox() if r.key == i]
        for i in ids
    }
    assert all(len(v) == 9 for v in expected.values())  # registered + 8 changes each
    wanted = {e for v in expected.values() for e in v}

    seen_ids: set[str] = set()

    def keep(r: Any) -> bool:
        if r.key is None or r.key.decode() not in expected:
            return False
        seen_ids.add(str(Envelope.from_bytes(r.value).event_id))
        return True

    records = await read_topic(
        kafka_bootstrap, TASK_EVENTS.name, keep, lambda _: seen_ids >= wanted
    )
    assert seen_ids >= wanted, "every outbox event reaches Kafka"
    for task_id, event_ids in expected.items():
        seen = [
            str(Envelope.from_bytes(r.value).event_id) for r in records if r.key.decode() == task_id
        ]
        assert list(dict.fromkeys(seen)) == event_ids  # in order (duplicates would be allowed)
        assert len({r.partition for r in records if r.key.decode() == task_id}) == 1
    assert await live.ledger.relay.pending_count() == 0  # type: ignore[union-attr]


def reminder(task_id: str, days_left: int) -> Envelope:
    return Envelope.wrap(
        ev.ReminderDue(
            task_id=task_id,
            task_title="任务",
            plan_id="plan-x",
            kind=ReminderKind.BEFORE_DUE,
            due_on=date(2025, 12, 31),
            working_days_left=days_left,
            department_ids=("dep-x",),
            scheduled_for=datetime.now(UTC),
            dedupe_key=f"r-{uuid.uuid4().hex}",
        ),
        producer="deadline-watcher",
    )


async def timeline_kinds(api: Api, task_id: str) -> list[Any]:
    async with api.ledger.reading() as conn:
        return list(
            (
                await conn.execute(
                    select(t.timeline.c.kind, t.timeline.c.source_event_id, t.timeline.c.summary)
                    .where(t.timeline.c.task_id == task_id)
                    .order_by(t.timeline.c.id)
                )
            ).all()
        )


async def test_a_duplicated_inbound_event_changes_nothing(live: Api, kafka_bootstrap: str) -> None:
    task_id = f"task-dup-{uuid.uuid4().hex[:8]}"
    duplicate, sentinel = reminder(task_id, 5), reminder(task_id, 4)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for envelope in (duplicate, duplicate, sentinel):  # same key: same partition, in order
            await producer.send_and_wait(
                SUPERVISION_EVENTS.name, envelope.to_bytes(), key=task_id.encode()
            )
    finally:
        await producer.stop()

    async def sentinel_seen() -> bool:
        rows = await timeline_kinds(live, task_id)
        return str(sentinel.event_id) in {r.source_event_id for r in rows}

    assert await eventually(sentinel_seen)
    rows = await timeline_kinds(live, task_id)
    assert [r.source_event_id for r in rows] == [str(duplicate.event_id), str(sentinel.event_id)]
    assert rows[0].summary == "到期提醒：距完成时限（2025-12-31）还有 5 个工作日"


async def test_poison_goes_to_the_dead_letter_topic(live: Api, kafka_bootstrap: str) -> None:
    key = f"poison-{uuid.uuid4().hex[:8]}".encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(SUPERVISION_EVENTS.name, b"{not an envelope", key=key)
    finally:
        await producer.stop()
    dead = await read_topic(
        kafka_bootstrap, DEAD_LETTER.name, lambda r: r.key == key, lambda kept: bool(kept)
    )
    assert [r.value for r in dead] == [b"{not an envelope"]
    reason = dict(dead[0].headers)[HEADER_DLQ_REASON].decode()
    assert reason.startswith("无法解析的消息")


async def test_a_failing_record_is_dead_lettered_alone(
    live: Api, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch whose handling fails is split; only the record that fails on its own goes to
    the dead-letter topic, the others are stored."""
    task_id = f"task-split-{uuid.uuid4().hex[:8]}"
    good, bad = reminder(task_id, 3), reminder(task_id, 2)
    real = messaging.inbound.handle_batch

    async def flaky(ledger: Ledger, items: Any) -> int:
        if any(e.event_id == bad.event_id for e, _ in items):
            raise ValueError("模拟的处理错误")
        return await real(ledger, items)

    monkeypatch.setattr(messaging.inbound, "handle_batch", flaky)
    records = [
        SimpleNamespace(value=e.to_bytes(), key=task_id.encode(), topic="t", partition=0, offset=n)
        for n, e in enumerate((good, bad))
    ]
    broker = make_broker(live.ledger.settings)

    async def store(events: list[Inbound]) -> None:
        await messaging.inbound.handle_batch(live.ledger, [(e.envelope, e.message) for e in events])

    async def to_dead_letter(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
        await dead_letter(broker, raw, key, reason, source)

    await broker.start()
    try:
        await handle_records(
            records, store, live.ledger.settings, to_dead_letter, messaging.consumes
        )
    finally:
        await broker.stop()
    rows = await timeline_kinds(live, task_id)
    assert [r.source_event_id for r in rows] == [str(good.event_id)]
    dead = await read_topic(
        kafka_bootstrap,
        DEAD_LETTER.name,
        lambda r: r.key == task_id.encode(),
        lambda kept: bool(kept),
    )
    assert [Envelope.from_bytes(r.value).event_id for r in dead] == [bad.event_id]
    assert "模拟的处理错误" in dict(dead[0].headers)[HEADER_DLQ_REASON].decode()


async def test_a_tombstone_is_dead_lettered_and_blocks_nothing(
    live: Api, kafka_bootstrap: str
) -> None:
    task_id = f"task-tomb-{uuid.uuid4().hex[:8]}"
    after = reminder(task_id, 6)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(SUPERVISION_EVENTS.name, None, key=task_id.encode())
        await producer.send_and_wait(
            SUPERVISION_EVENTS.name, after.to_bytes(), key=task_id.encode()
        )
    finally:
        await producer.stop()
    dead = await read_topic(
        kafka_bootstrap,
        DEAD_LETTER.name,
        lambda r: r.key == task_id.encode(),
        lambda kept: bool(kept),
    )
    assert "空消息" in dict(dead[0].headers)[HEADER_DLQ_REASON].decode()

    async def stored() -> bool:
        return [r.source_event_id for r in await timeline_kinds(live, task_id)] == [
            str(after.event_id)
        ]

    assert await eventually(stored)


async def test_a_batch_is_rewound_when_its_dead_letter_cannot_be_sent(
    live: Api, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The broker refusing a dead letter must not skip the batch: it is read again, the
    poison record reaches the dead-letter topic and the good one the timeline."""
    task_id = f"task-rewind-{uuid.uuid4().hex[:8]}"
    good = reminder(task_id, 7)
    real = batch_consumer.dead_letter
    refused: list[str] = []

    async def refuse_once(*args: Any) -> None:
        if not refused:
            refused.append(args[3])
            raise RuntimeError("模拟：死信主题暂不可用")
        await real(*args)

    monkeypatch.setattr(batch_consumer, "dead_letter", refuse_once)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(SUPERVISION_EVENTS.name, b"{bad", key=task_id.encode())
        await producer.send_and_wait(SUPERVISION_EVENTS.name, good.to_bytes(), key=task_id.encode())
    finally:
        await producer.stop()
    dead = await read_topic(
        kafka_bootstrap,
        DEAD_LETTER.name,
        lambda r: r.key == task_id.encode(),
        lambda kept: bool(kept),
    )
    assert refused and [r.value for r in dead] == [b"{bad"]

    async def stored() -> bool:
        return [r.source_event_id for r in await timeline_kinds(live, task_id)] == [
            str(good.event_id)
        ]

    assert await eventually(stored)


def start_relay(db_url: str, bootstrap: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": db_url,
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "DUBAN_OUTBOX_BATCH_SIZE": "100",
        "DUBAN_LOG_JSON": "true",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "task_ledger.entrypoints.relay"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_relay_killed_mid_batch_loses_nothing(
    db_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    engine = make_engine(db_url)
    run = uuid.uuid4().hex[:8]
    task_ids = [f"task-kill-{run}-{n}" for n in range(40)]
    envelopes = [
        Envelope.wrap(
            ev.TaskStatusChanged(
                task_id=task_ids[n % 40],
                from_status=TaskStatus.DRAFT,
                to_status=TaskStatus.DISPATCHED,
                reason=str(n),
            ),
            producer="task-ledger",
        )
        for n in range(2_000)
    ]
    async with engine.begin() as conn:
        await append(conn, t.outbox, envelopes)

    async def published() -> int:
        async with engine.connect() as conn:
            return int(
                await conn.scalar(
                    select(func.count())
                    .select_from(t.outbox)
                    .where(t.outbox.c.published_at.is_not(None))
                )
                or 0
            )

    log = tmp_path / "relay.log"
    relay = start_relay(db_url, kafka_bootstrap, log)
    try:
        assert await eventually(published, timeout=60, what=f"a first publication ({log})") > 0
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=10)
        at_kill = await published()
        assert 0 < at_kill < len(envelopes), "the relay must die in the middle of its work"
        relay = start_relay(db_url, kafka_bootstrap, log)
        assert await eventually(lambda: _all_published(published, len(envelopes)), timeout=120)
    finally:
        if relay.poll() is None:
            relay.send_signal(signal.SIGTERM)
            relay.wait(timeout=15)
        await engine.dispose()

    keys = set(task_ids)
    wanted = {str(e.event_id) for e in envelopes}
    seen_ids: set[str] = set()

    def keep(r: Any) -> bool:
        if r.key is None or r.key.decode() not in keys:
            return False
        seen_ids.add(str(Envelope.from_bytes(r.value).event_id))
        return True

    records = await read_topic(
        kafka_bootstrap, TASK_EVENTS.name, keep, lambda _: seen_ids >= wanted
    )
    seen = [str(Envelope.from_bytes(r.value).event_id) for r in records]
    assert set(seen) == set(wanted)  # none lost (a few may be published twice)
    for task_id in task_ids:  # and never reordered within a task
        order = [str(e.event_id) for e in envelopes if e.key == task_id]
        got = [
            str(Envelope.from_bytes(r.value).event_id) for r in records if r.key.decode() == task_id
        ]
        assert list(dict.fromkeys(got)) == order


async def _all_published(published: Any, total: int) -> bool:
    return bool(await published() == total)
