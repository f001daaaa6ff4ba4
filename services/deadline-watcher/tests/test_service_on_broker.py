"""The whole service in-process on the real broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, time

import httpx
import psycopg
import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from deadline_watcher.adapters.tables import tasks, timers
from deadline_watcher.bootstrap import MIGRATIONS, WatcherService, create_app
from duban_common.clock import CHINA, ManualClock
from duban_common.kafka import make_broker, publish_envelope
from duban_common.migrations import upgrade
from duban_common.testing.plugin import PG_ADMIN_URL
from duban_common.testing.polling import eventually
from duban_contracts import DEAD_LETTER, Envelope, Message
from duban_contracts.commands import RequestMonthlyReports
from duban_contracts.events import (
    ExtensionDecided,
    ReminderDue,
    TaskClosed,
    TaskDispatched,
    TaskOverdue,
    TaskRegistered,
)
from duban_contracts.topics import HEADER_DLQ_REASON, SUPERVISION_EVENTS, TASK_EVENTS
from duban_contracts.vocabulary import Decision, TaskStatus

from .conftest import local, settings_for
from .kafka_helpers import TopicReader

pytestmark = pytest.mark.integration

DUE = date(2025, 10, 10)  # the Friday after National Day 2025


class Running:
    def __init__(self, service: WatcherService, clock: ManualClock, publisher: KafkaBroker):
        self.service, self.clock, self.publisher = service, clock, publisher
        self.supervision: TopicReader
        self.dead: TopicReader

    async def send(self, message: Message) -> None:
        await publish_envelope(self.publisher, Envelope.wrap(message, producer="task-ledger"))

    async def known(
        self, task_id: str, status: str | None = None, due_on: date | None = None
    ) -> None:
        """Wait until the watcher knows the task (with this status and due date, if given)."""

        async def knows() -> bool:
            async with self.service.ctx.engine.connect() as conn:
                row = (await conn.execute(select(tasks).where(tasks.c.task_id == task_id))).first()
            return (
                row is not None
                and (status is None or row.status == status)
                and (due_on is None or row.due_on == due_on)
            )

        await eventually(knows, what=f"the watcher knowing {task_id}")

    async def supervision_about(self, task_id: str) -> list[Message]:
        return [
            Envelope.from_bytes(r.value).open()
            for r in self.supervision.records
            if r.key == task_id.encode()
        ]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def running(
    request: pytest.FixtureRequest, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('svc') / 'watcher.db'}"
    else:  # a database of its own: the per-test `postgres_url` clean-up must not touch it
        name = f"watcher_svc_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url, MIGRATIONS)
    clock = ManualClock(local(date(2025, 10, 8), time(12, 0)))  # mid-holiday
    settings = settings_for(
        url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"watcher-{uuid.uuid4().hex[:8]}",
        http_port=0,
        consumer_max_attempts=2,
        consumer_retry_base_seconds=0.01,
        scheduler_poll_seconds=0.05,
    )
    service = WatcherService(settings, clock=clock)
    publisher = make_broker(settings_for(url, kafka_bootstrap_servers=kafka_bootstrap))
    env = Running(service, clock, publisher)
    env.supervision = TopicReader(kafka_bootstrap, SUPERVISION_EVENTS.name)
    env.dead = TopicReader(kafka_bootstrap, DEAD_LETTER.name)
    await asyncio.gather(
        publisher.start(), service.start(), env.supervision.start(), env.dead.start()
    )
    await service.wait_consuming()
    yield env
    await env.supervision.stop()
    await env.dead.stop()
    await service.stop()
    await publisher.stop()
    if request.param == "postgresql":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scheduled_on(record: object) -> date:
    at = Envelope.from_bytes(record.value).open().scheduled_for  # type: ignore[attr-defined]
    return at.astimezone(CHINA).date()  # type: ignore[no-any-return]


def registered(task_id: str) -> TaskRegistered:
    return TaskRegistered(
        task_id=task_id,
        plan_id="plan-k",
        plan_title="稳就业行动方案",
        measure_id="m-1",
        title="开展劳务品牌调查摸底",
        lead_department_ids=("hrss",),
        due_on=DUE,
        status=TaskStatus.DISPATCHED,
    )


async def test_reminders_move_with_an_extension_and_stop_on_closing(running: Running) -> None:
    run = uuid.uuid4().hex[:6]
    plain, extended, closed = (f"{name}-{run}" for name in ("plain", "extended", "closed"))
    for task_id in (plain, extended, closed):
        await running.send(registered(task_id))
    await running.send(TaskDispatched(task_id=closed, due_on=DUE))
    await running.send(
        ExtensionDecided(
            task_id=extended,
            request_id="x-1",
            decision=Decision.APPROVED,
            due_on=date(2025, 10, 17),
        )
    )
    await running.send(TaskClosed(task_id=closed))
    await running.known(plain)
    await running.known(extended, due_on=date(2025, 10, 17))  # the extension was handled
    await running.known(closed, status="closed")
    await running.service.scheduler.fire_due()  # 蓝 for `plain`, reached before it was known

    for day in (date(2025, 10, 9), date(2025, 10, 10), date(2025, 10, 11)):
        running.clock.set(local(day))
        await running.supervision.wait_for(
            lambda r, d=day: r.key == plain.encode() and scheduled_on(r) == d
        )

    def days(messages: list[Message]) -> list[tuple[str, date]]:
        out = []
        for m in messages:
            if isinstance(m, ReminderDue | TaskOverdue):
                kind = m.kind.value if isinstance(m, ReminderDue) else "overdue"
                out.append((kind, m.scheduled_for.astimezone(CHINA).date()))
        return out

    assert days(await running.supervision_about(plain)) == [
        ("before_due", date(2025, 10, 9)),
        ("due_today", date(2025, 10, 10)),
        ("overdue", date(2025, 10, 11)),  # Saturday: a 调休 working day
    ]
    # Extended to Friday the 17th: 5 working days before is Saturday the 11th (调休).
    await running.supervision.wait_for(
        lambda r: (
            r.key == extended.encode()
            and Envelope.from_bytes(r.value).event_type == ReminderDue.EVENT_TYPE
        )
    )
    assert days(await running.supervision_about(extended)) == [("before_due", date(2025, 10, 11))]
    # Closed before its first reminder (only a 蓝 may have fired while it was open).
    assert days(await running.supervision_about(closed)) == []
    async with running.service.ctx.engine.connect() as conn:
        pending = await conn.scalar(
            select(func.count()).where(timers.c.task_id == closed, timers.c.fired_at.is_(None))
        )
    assert pending == 0


async def test_poison_goes_to_dead_letter_with_the_reason(running: Running) -> None:
    key = f"poison-{uuid.uuid4().hex[:8]}"
    await running.publisher.publish(b"{not an envelope", topic=TASK_EVENTS.name, key=key.encode())
    period = "2025-13"  # matches the contract's pattern; no such month
    await running.send(RequestMonthlyReports(period=period, requested_by=key))
    garbage = await running.dead.wait_for(lambda r: r.key == key.encode())
    assert dict(garbage[0].headers)[HEADER_DLQ_REASON].decode().startswith("无法解析的消息")
    refused = await running.dead.wait_for(
        lambda r: (
            r.key == period.encode()
            and Envelope.from_bytes(r.value).payload.get("requested_by") == key
        )
    )
    reason = dict(refused[0].headers)[HEADER_DLQ_REASON].decode()
    assert reason.startswith("处理失败") and "无效的月份" in reason
    # The consumer goes on: a later event is still handled.
    later = f"after-poison-{key}"
    await running.send(registered(later))
    await running.known(later)


async def test_health_endpoints(running: Running) -> None:
    # The service's own app (its lifespan is not entered: the fixture runs the service).
    transport = httpx.ASGITransport(app=create_app(service=running.service))
    async with httpx.AsyncClient(transport=transport, base_url="http://watcher") as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        missing = await client.get("/nope")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "broker": True, "consuming": True}
    assert missing.status_code == 404
