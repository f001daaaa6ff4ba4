"""Benchmark: notifications per second from Kafka events into a local SMTP and webhook sink.

The notifier runs in this process exactly as `python -m notifier` runs it (consumer, delivery
loop, outbox relay, SQLite store; PostgreSQL too when the harness provides one); the sinks
run in a separate process so they neither share this process's CPU time nor its RSS. The
robot rate limit is switched off: the figure is the notifier's own throughput.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.common import CONSUME, compared, entry
from duban_common.kafka import record_headers
from duban_common.logging import configure_logging
from duban_contracts import Envelope, Message
from duban_contracts import events as e
from duban_contracts.topics import ALL_TOPICS
from duban_contracts.vocabulary import Channel, EscalationLevel, JurisdictionLevel, Role
from notifier.bootstrap import NotifierService
from notifier.entrypoints.messaging import INBOUND_TOPICS
from notifier.settings import RetryPolicy, Settings

EVENTS = 1000  # per department: 8,000 notifications in all
RECIPIENTS_PER_EVENT = 4
# The measurement stops here and reports the rate so far, so the benchmark stays short.
MEASURE_SECONDS = 15.0


def run(ctx: Any) -> dict[str, dict[str, Any]]:
    # Errors only: a few records of an earlier run may still reach the fresh group and log
    # "no recipients" (the directory of that run lives in the other store).
    configure_logging("notifier", "ERROR", json=True)
    results: dict[str, dict[str, Any]] = {}
    stores = [("sqlite", f"sqlite:///{Path(ctx.workdir) / 'notifier-bench.db'}")]
    if ctx.postgres_url:
        stores.append(("postgresql", ctx.postgres_url))
    with SinkProcess() as sinks:
        for store_name, url in stores:
            figures = asyncio.run(_measure(ctx.bootstrap_servers, url, sinks))
            prefix = "notifier" if store_name == "sqlite" else "notifier.postgresql"
            for name, (value, unit) in figures.items():
                results[f"{prefix}.{name}"] = (
                    compared(value, unit, CONSUME, ctx)
                    if unit == "notifications/s"
                    else entry(value, unit)
                )
    results["notifier.rss_mb"] = entry(_rss_mb(), "MB")
    return results


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


# --- the sinks, in their own process -------------------------------------------------------


def _serve_sinks(ready: Any, smtp_count: Any, webhook_count: Any, stop: Any) -> None:
    from notifier.adapters.sinks import SmtpSink, WebhookSink

    class CountingSmtp(SmtpSink):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with smtp_count.get_lock():
                smtp_count.value += 1
            return "250 OK"

    class CountingWebhooks(WebhookSink):
        def _answer(self, target: str, raw: bytes) -> tuple[int, dict[str, Any]]:
            with webhook_count.get_lock():
                webhook_count.value += 1
            return super()._answer(target, raw)

    async def main() -> None:
        smtp = CountingSmtp(keep=False).start()
        hooks = await CountingWebhooks(record=False).start()
        ready.send((smtp.port, hooks.port))
        while not stop.is_set():
            await asyncio.sleep(0.1)
        await hooks.stop()
        smtp.stop()

    asyncio.run(main())


class SinkProcess:
    def __enter__(self) -> SinkProcess:
        mp = multiprocessing.get_context("spawn")
        self.smtp_count = mp.Value("l", 0)
        self.webhook_count = mp.Value("l", 0)
        self._stop = mp.Event()
        receive, send = mp.Pipe(duplex=False)
        self._process = mp.Process(
            target=_serve_sinks,
            args=(send, self.smtp_count, self.webhook_count, self._stop),
            daemon=True,
        )
        self._process.start()
        if not receive.poll(60):
            raise RuntimeError("sink process did not start")
        self.smtp_port, self.webhook_port = receive.recv()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


# --- the measurement -----------------------------------------------------------------------


def _directory(webhook_port: int) -> tuple[list[Message], str, str]:
    """Two departments of four liaisons: one reached by e-mail, one by robots."""
    run_id = uuid.uuid4().hex[:8]
    mail_dept, robot_dept = f"bench-mail-{run_id}", f"bench-robot-{run_id}"
    messages: list[Message] = []
    for dept in (mail_dept, robot_dept):
        messages.append(
            e.DepartmentUpserted(
                department_id=dept,
                name="基准测试厅",
                jurisdiction="广东省",
                level=JurisdictionLevel.PROVINCE,
            )
        )
    for n in range(RECIPIENTS_PER_EVENT):
        user = f"{mail_dept}-u{n}"
        messages.append(
            e.UserUpserted(
                user_id=user,
                display_name=f"联络员{n}",
                role=Role.LIAISON,
                department_id=mail_dept,
                email=f"{user}@example.org",
                channels=(Channel.EMAIL,),
            )
        )
        user = f"{robot_dept}-u{n}"
        robot = Channel.WECOM if n % 2 else Channel.DINGTALK
        url = f"http://127.0.0.1:{webhook_port}/{robot.value}/{user}?access_token=t"
        messages.append(
            e.UserUpserted(
                user_id=user,
                display_name=f"联络员{n}",
                role=Role.LIAISON,
                department_id=robot_dept,
                channels=(robot,),
                wecom_webhook=url if robot is Channel.WECOM else None,
                dingtalk_webhook=f"{url}&secret=SEC-bench" if robot is Channel.DINGTALK else None,
            )
        )
    return messages, mail_dept, robot_dept


def _escalations(dept: str, n: int) -> list[Message]:
    return [
        e.EscalationRaised(
            task_id=f"{dept}-t{i}",
            task_title="开展劳务品牌调查摸底",
            plan_id="plan-bench",
            level=EscalationLevel.BLUE,
            due_on=date(2026, 3, 6),
            working_days_late=3,
            department_ids=(dept,),
            reason="逾期3个工作日",
            scheduled_for=datetime(2026, 3, 11, 1, tzinfo=UTC),
            dedupe_key=f"{dept}-t{i}:escalation:blue",
        )
        for i in range(n)
    ]


async def _send(producer: AIOKafkaProducer, messages: list[Message]) -> None:
    futures = []
    for message in messages:
        envelope = Envelope.wrap(message, producer="bench")
        futures.append(
            await producer.send(
                envelope.topic,
                envelope.to_bytes(),
                key=envelope.key.encode(),
                headers=[(k, v.encode()) for k, v in record_headers(envelope).items()],
            )
        )
    await asyncio.gather(*futures)


async def _wait_for(counter: Any, target: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while counter.value < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"sink saw {counter.value} of {target} notifications")
        await asyncio.sleep(0.02)


async def _measure(
    bootstrap: str, database_url: str, sinks: SinkProcess
) -> dict[str, tuple[float, str]]:
    settings = Settings(
        kafka_bootstrap_servers=bootstrap,
        database_url=database_url,
        consumer_group=f"notifier-bench-{uuid.uuid4().hex[:8]}",
        smtp_host="127.0.0.1",
        smtp_port=sinks.smtp_port,
        smtp_pool_size=8,
        robot_limit_per_minute=0,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
        retry_default=RetryPolicy(max_attempts=3, base_seconds=0.1, max_seconds=1),
        log_level="ERROR",
    )
    directory, mail_dept, robot_dept = _directory(sinks.webhook_port)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    figures: dict[str, tuple[float, str]] = {}
    try:
        # Topics are shared with whatever ran before (other benchmarks, the other store):
        # start the fresh consumer group at the end so it reads only this run's events.
        await _start_group_at_end(bootstrap, settings.consumer_group)
        async with NotifierService(settings) as service:
            await _send(producer, directory)
            await _wait_directory(service, 2 * RECIPIENTS_PER_EVENT)
            # Warm-up: one event per department, delivered before the clock starts.
            smtp_before, hooks_before = sinks.smtp_count.value, sinks.webhook_count.value
            await _send(producer, _escalations(mail_dept, 1) + _escalations(robot_dept, 1))
            await _wait_for(sinks.smtp_count, smtp_before + RECIPIENTS_PER_EVENT)
            await _wait_for(sinks.webhook_count, hooks_before + RECIPIENTS_PER_EVENT)
            # Measured: events alternate between the e-mail and the robot department.
            mail = _escalations(mail_dept, EVENTS + 1)[1:]
            robots = _escalations(robot_dept, EVENTS + 1)[1:]
            events = [m for pair in zip(mail, robots, strict=True) for m in pair]
            smtp_before, hooks_before = sinks.smtp_count.value, sinks.webhook_count.value
            started, cpu_started = time.perf_counter(), time.process_time()
            sending = asyncio.ensure_future(_send(producer, events))
            expected = 2 * EVENTS * RECIPIENTS_PER_EVENT
            while (
                sinks.smtp_count.value + sinks.webhook_count.value - smtp_before - hooks_before
                < expected
                and time.perf_counter() - started < MEASURE_SECONDS
            ):
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            mails = sinks.smtp_count.value - smtp_before
            posts = sinks.webhook_count.value - hooks_before
            unit = "notifications/s"
            figures["notifications_per_s"] = ((mails + posts) / elapsed, unit)
            figures["smtp_notifications_per_s"] = (mails / elapsed, unit)
            figures["webhook_notifications_per_s"] = (posts / elapsed, unit)
            # Independent of how busy the machine is: what one fully used core would do.
            figures["notifications_per_cpu_s"] = ((mails + posts) / cpu, "notifications/CPU-s")
            await sending
    finally:
        await producer.stop()
    return figures


async def _start_group_at_end(bootstrap: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic.name, p)
            for topic in ALL_TOPICS
            if topic.name in INBOUND_TOPICS
            for p in range(topic.partitions)
        ]
        consumer.assign(partitions)
        await consumer.seek_to_end()
        offsets = {tp: await consumer.position(tp) for tp in partitions}
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


async def _wait_directory(service: NotifierService, n: int) -> None:
    from sqlalchemy import func, select

    from notifier.adapters.tables import departments, users

    deadline = time.monotonic() + 60
    while True:
        async with service.engine.connect() as conn:
            people = await conn.scalar(select(func.count()).select_from(users))
            offices = await conn.scalar(select(func.count()).select_from(departments))
        if (people or 0) >= n and (offices or 0) >= 2:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the notifier did not receive the directory")
        await asyncio.sleep(0.05)


if __name__ == "__main__":  # a quick local run: python -m bench.notifier
    import json
    import tempfile
    from types import SimpleNamespace

    from duban_common.embedded_broker import EmbeddedBroker

    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        context = SimpleNamespace(
            bootstrap_servers=broker.bootstrap_servers, postgres_url=None, workdir=tmp, baseline={}
        )
        print(json.dumps(run(context), ensure_ascii=False, indent=2))
