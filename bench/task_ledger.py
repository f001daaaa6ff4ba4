"""Benchmark of the ledger's Kafka consumer path (`make bench` calls `run(ctx)`).

Watcher/notifier events through `build_broker`'s batch subscriber into the timeline, inbox and
dedupe tables, on SQLite and on PostgreSQL, beside the raw aiokafka figure measured on the same
broker. The HTTP write path is `bench.task_ledger_http`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.common import BenchContext, Result, compared, current_rss_mb, entry

# Kept importable from here (the test of worker processes and other benches use it).
from bench.task_ledger_http import prepare_tasks

__all__ = ["prepare_tasks", "run"]

EVENTS = 20_000
EVENT_KEYS = 64


def _events(run: str) -> tuple[list[Any], dict[str, str]]:
    """Half reminders (supervision topic), half inbox deliveries (notification topic)."""
    from duban_contracts import Envelope
    from duban_contracts import events as ev
    from duban_contracts.vocabulary import Channel, ReminderKind

    now = datetime.now(UTC)
    envelopes, last = [], {}
    for n in range(EVENTS):
        task_id = f"task-bench-{run}-{n % EVENT_KEYS}"
        if n % 2:
            message: Any = ev.ReminderDue(
                task_id=task_id,
                task_title="基准任务",
                plan_id="plan-bench",
                kind=ReminderKind.BEFORE_DUE,
                due_on=date(2030, 1, 1),
                working_days_left=5,
                department_ids=("dep-bench",),
                scheduled_for=now,
                dedupe_key=f"{run}-{n}",
            )
        else:
            message = ev.NotificationSent(
                key=task_id,
                notification_id=f"n-{run}-{n}",
                source_event_ids=(f"e-{n}",),
                task_ids=(task_id,),
                recipient_id="user-bench",
                channel=Channel.INBOX,
                attempt=1,
                at=now,
                subject="督办提醒",
                body="请及时填报进展",
            )
        envelope = Envelope.wrap(message, producer="bench")
        envelopes.append(envelope)
        last[f"{envelope.topic}/{task_id}"] = str(envelope.event_id)
    return envelopes, last


async def _consumer_path(ctx: Any, url: str, label: str) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer
    from sqlalchemy import func, select

    from duban_common.heap import freeze_startup_heap
    from duban_common.migrations import upgrade
    from task_ledger.adapters import tables as t
    from task_ledger.bootstrap import MIGRATIONS
    from task_ledger.entrypoints.messaging import build_broker
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    run = uuid.uuid4().hex[:8]
    envelopes, last = _events(run)
    producer = AIOKafkaProducer(bootstrap_servers=ctx.bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(e.topic, e.to_bytes(), key=e.key.encode()) for e in envelopes
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    del envelopes, futures

    settings = Settings(
        database_url=url,
        kafka_bootstrap_servers=ctx.bootstrap_servers,
        seed_demo_users=False,
        seed_departments=False,
    )
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    ledger = Ledger(settings)
    broker = build_broker(settings, ledger, group_id=f"bench-ledger-{run}")
    sentinels = list(last.values())

    async def handled() -> tuple[int, int]:
        async with ledger.reading() as conn:
            total = await conn.scalar(select(func.count()).select_from(t.consumer_inbox))
            done = await conn.scalar(
                select(func.count())
                .select_from(t.consumer_inbox)
                .where(t.consumer_inbox.c.event_id.in_(sentinels))
            )
        return int(total or 0), int(done or 0)

    await broker.start()
    freeze_startup_heap()  # as the service process does once started
    try:
        first: float | None = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            total, done = await handled()
            if first is None and total:
                first = time.perf_counter()  # exclude the group join, as the baseline does
                first_cpu = time.process_time()
                first_total = total
            if done == len(sentinels):
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - (first or time.perf_counter())
        cpu = time.process_time() - first_cpu
        total, done = await handled()
        if done != len(sentinels):
            raise RuntimeError(f"consumer path on {label} did not finish")
    finally:
        await broker.stop()
        await ledger.dispose()
    rate = (total - first_total) / elapsed if elapsed > 0 else float(total)
    return {
        f"ledger.consume.{label}_events_per_s": compared(
            rate, "events/s", "kafka.raw_aiokafka.consume_per_s", ctx
        ),
        # What one fully used core would do, whatever else the machine is running.
        f"ledger.consume.{label}_events_per_cpu_s": entry(
            (total - first_total) / cpu, "events/CPU-s"
        ),
    }


async def _run(ctx: BenchContext) -> Result:
    results: Result = {}
    sqlite_url = f"sqlite:///{Path(ctx.workdir) / f'ledger-consume-{uuid.uuid4().hex[:6]}.db'}"
    results.update(await _consumer_path(ctx, sqlite_url, "sqlite"))
    if ctx.postgres_url:
        results.update(await _consumer_path(ctx, ctx.postgres_url, "postgresql"))
    results["ledger.consume.rss"] = entry(current_rss_mb(), "MB")
    return results


def run(ctx: BenchContext) -> Result:
    return asyncio.run(_run(ctx))
