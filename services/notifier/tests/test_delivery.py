"""Handlers and the delivery loop on both stores, into a real SMTP server and robot webhooks.

No broker here: events go straight into the handler (what the consumer calls) and dispatch
records are read back from the outbox. Time is a ManualClock, so retries, digest windows,
quiet hours and the robot rate limit are exercised without waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
from notifier_testkit import at, department, escalation, overdue, person, reminder, uid
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.clock import ManualClock
from duban_common.db import make_engine
from duban_common.migrations import upgrade
from duban_contracts import Envelope, Message
from duban_contracts.events import NotificationFailed, NotificationSent
from duban_contracts.vocabulary import Channel, EscalationLevel, Role
from notifier.adapters import tables
from notifier.adapters.sinks import SmtpSink, WebhookSink
from notifier.adapters.webhook_client import WebhookClient
from notifier.bootstrap import MIGRATIONS, default_senders
from notifier.service_layer.delivery import DeliveryLoop
from notifier.service_layer.handlers import EventHandler
from notifier.settings import RetryPolicy, Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest_asyncio.fixture
async def webhooks() -> AsyncIterator[WebhookSink]:
    sink = await WebhookSink().start()
    yield sink
    await sink.stop()


@dataclass
class Rig:
    engine: AsyncEngine
    clock: ManualClock
    handler: EventHandler
    loop: DeliveryLoop
    settings: Settings

    async def publish(self, *messages: Message) -> list[Envelope]:
        envelopes = [Envelope.wrap(m, producer="test") for m in messages]
        for envelope in envelopes:
            await self.handler(envelope, envelope.open())
        return envelopes

    async def deliver(self) -> None:
        """Run passes until nothing is due now."""
        while await self.loop.run_once():
            pass

    async def dispatch_records(self) -> list[NotificationSent | NotificationFailed]:
        async with self.engine.connect() as conn:
            bodies = (
                await conn.scalars(select(tables.outbox.c.body).order_by(tables.outbox.c.id))
            ).all()
        return [Envelope.from_bytes(b).open() for b in bodies]  # type: ignore[misc]


@pytest_asyncio.fixture
async def rig(db_url: str, smtp: SmtpSink) -> AsyncIterator[Rig]:
    settings = Settings(
        database_url=db_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_pool_size=2,
        digest_window_seconds=60,
        quiet_hours_start="22:00",
        quiet_hours_end="07:30",
        retry_default=RetryPolicy(max_attempts=3, base_seconds=10, max_seconds=60),
        public_base_url="https://duban.example.gov.cn",
    )
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    engine = make_engine(db_url)
    clock = ManualClock(at(9))
    client = WebhookClient(timeout=10, max_connections=8)
    senders = default_senders(settings, client)
    loop = DeliveryLoop(engine, settings, clock, senders, rand=lambda: 0.5)
    yield Rig(engine, clock, EventHandler(engine, settings, clock), loop, settings)
    for sender in senders.values():
        await sender.close()
    await client.close()
    await engine.dispose()


async def test_migrations_build_the_schema_once(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)  # a second start-up finds nothing to do
    engine = make_engine(db_url)
    async with engine.connect() as conn:
        names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    await engine.dispose()
    assert set(tables.metadata.tables) <= names
    assert "notifier_alembic_version" in names


async def test_thirty_reminders_become_one_digest(rig: Rig, smtp: SmtpSink) -> None:
    dept, liaison = uid("d"), uid("u")
    email = f"{liaison}@example.org"
    await rig.publish(
        department(dept),
        person(liaison, Role.LIAISON, dept, (Channel.EMAIL, Channel.INBOX), email=email),
    )
    today = [reminder(uid("t"), (dept,), days_left=0) for _ in range(10)]
    soon = [reminder(uid("t"), (dept,), days_left=3) for _ in range(10)]
    late = [overdue(uid("t"), (dept,), days_late=4) for _ in range(10)]
    await rig.publish(*today, *soon, *late)

    await rig.deliver()
    assert smtp.to(email) == []  # the window is still open
    rig.clock.advance(timedelta(seconds=61))
    await rig.deliver()

    mails = smtp.to(email)
    assert len(mails) == 1
    subject = str(mails[0]["Subject"])
    assert "30项" in subject and "今日到期10项" in subject
    assert "3个工作日内到期10项" in subject and "已逾期10项" in subject
    body = mails[0].get_body(("plain",)).get_content()
    assert all(m.task_title in body for m in today + soon + late)
    assert "https://duban.example.gov.cn/tasks/" in body

    records = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert sorted(r.channel for r in records) == [Channel.EMAIL, Channel.INBOX]
    inbox = next(r for r in records if r.channel is Channel.INBOX)
    assert isinstance(inbox, NotificationSent)
    assert inbox.key == liaison and len(inbox.task_ids) == 30 and inbox.body
    assert "已逾期" in inbox.body


async def test_redelivered_or_reemitted_event_sends_once(rig: Rig, smtp: SmtpSink) -> None:
    dept, liaison, task = uid("d"), uid("u"), uid("t")
    email = f"{liaison}@example.org"
    await rig.publish(
        department(dept), person(liaison, Role.LIAISON, dept, (Channel.EMAIL,), email=email)
    )
    (envelope,) = await rig.publish(escalation(task, (dept,), EscalationLevel.BLUE))
    await rig.handler(envelope, envelope.open())  # redelivered: same event id
    await rig.publish(escalation(task, (dept,), EscalationLevel.BLUE))  # re-emitted: new id
    await rig.deliver()
    assert len(smtp.to(email)) == 1
    sent = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert [type(r) for r in sent] == [NotificationSent]
    assert sent[0].key == task and sent[0].source_event_ids == (str(envelope.event_id),)


async def test_flaky_webhook_is_retried_and_every_attempt_recorded(
    rig: Rig, webhooks: WebhookSink
) -> None:
    dept, liaison, task = uid("d"), uid("u"), uid("t")
    webhooks.failures["/wecom/flaky"] = [502, 500]
    await rig.publish(
        department(dept),
        person(
            liaison,
            Role.LIAISON,
            dept,
            (Channel.WECOM,),
            wecom_webhook=webhooks.url("/wecom/flaky"),
        ),
        escalation(task, (dept,), EscalationLevel.BLUE),
    )
    for _ in range(3):
        await rig.deliver()
        rig.clock.advance(timedelta(seconds=61))  # past any backoff (base 10 s, jitter 1.0)
    calls = webhooks.to("/wecom/flaky")
    assert [c.status for c in calls] == [502, 500, 200]
    assert calls[-1].body["msgtype"] == "markdown"
    assert "蓝色督办" in calls[-1].body["markdown"]["content"]
    records = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert [(type(r).__name__, r.attempt) for r in records] == [
        ("NotificationFailed", 1),
        ("NotificationFailed", 2),
        ("NotificationSent", 3),
    ]
    assert all(not r.final for r in records if isinstance(r, NotificationFailed))
    assert "HTTP 502" in records[0].error  # type: ignore[union-attr]


async def test_permanently_failing_channel_is_dead_lettered(
    rig: Rig, webhooks: WebhookSink
) -> None:
    dept, liaison, task = uid("d"), uid("u"), uid("t")
    webhooks.always["/ding/down"] = 500
    await rig.publish(
        department(dept),
        person(
            liaison,
            Role.LIAISON,
            dept,
            (Channel.DINGTALK, Channel.INBOX),
            dingtalk_webhook=webhooks.url("/ding/down"),
        ),
        escalation(task, (dept,), EscalationLevel.BLUE),
    )
    for _ in range(5):
        await rig.deliver()
        rig.clock.advance(timedelta(seconds=61))
    assert len(webhooks.to("/ding/down")) == 3  # max_attempts, then it gives up
    records = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    failed = [r for r in records if isinstance(r, NotificationFailed)]
    assert [r.final for r in failed] == [False, False, True]
    # The inbox copy still arrived: one failing channel does not hold back the others.
    assert [r.channel for r in records if isinstance(r, NotificationSent)] == [Channel.INBOX]
    async with rig.engine.connect() as conn:
        letters = (await conn.execute(select(tables.dead_letters))).all()
    mine = [row for row in letters if row.key == task]
    assert len(mine) == 1
    assert "钉钉" in mine[0].reason and "HTTP 500" in mine[0].reason
    dead = Envelope.from_bytes(mine[0].body).open()
    assert isinstance(dead, NotificationFailed) and dead.final and dead.recipient_id == liaison


async def test_robot_limit_delays_the_twenty_first_message(rig: Rig, webhooks: WebhookSink) -> None:
    dept, liaison = uid("d"), uid("u")
    await rig.publish(
        department(dept),
        person(
            liaison, Role.LIAISON, dept, (Channel.WECOM,), wecom_webhook=webhooks.url("/wecom/busy")
        ),
    )
    await rig.publish(*(escalation(uid("t"), (dept,), EscalationLevel.BLUE) for _ in range(25)))
    await rig.deliver()
    assert len(webhooks.to("/wecom/busy")) == 20
    rig.clock.advance(timedelta(seconds=30))
    await rig.deliver()
    assert len(webhooks.to("/wecom/busy")) == 20  # still within the minute
    rig.clock.advance(timedelta(seconds=31))
    await rig.deliver()
    assert len(webhooks.to("/wecom/busy")) == 25  # delayed, none dropped
    records = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert len(records) == 25 and all(isinstance(r, NotificationSent) for r in records)


async def test_quiet_hours_hold_reminders_but_not_escalations(rig: Rig, smtp: SmtpSink) -> None:
    dept, liaison = uid("d"), uid("u")
    email = f"{liaison}@example.org"
    await rig.publish(
        department(dept),
        person(liaison, Role.LIAISON, dept, (Channel.EMAIL, Channel.INBOX), email=email),
    )
    rig.clock.set(at(22, 30))
    await rig.publish(
        reminder(uid("t"), (dept,)), escalation(uid("t"), (dept,), EscalationLevel.BLUE)
    )
    rig.clock.advance(timedelta(minutes=5))
    await rig.deliver()
    assert [str(m["Subject"]) for m in smtp.to(email)] == [
        "【蓝色督办】开展劳务品牌调查摸底 已逾期10个工作日"
    ]
    # The in-app inbox pushes nothing, so the reminder is already there.
    inbox = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert sorted(r.subject[:7] for r in inbox if r.channel is Channel.INBOX) == [
        "【督办提醒】开",
        "【蓝色督办】开",
    ]
    rig.clock.set(at(7, 29, day=3))
    await rig.deliver()
    assert len(smtp.to(email)) == 1
    rig.clock.set(at(7, 31, day=3))
    await rig.deliver()
    subjects = [str(m["Subject"]) for m in smtp.to(email)]
    assert len(subjects) == 2 and subjects[1].startswith("【督办提醒】")


async def test_dingtalk_messages_are_signed(rig: Rig, webhooks: WebhookSink) -> None:
    dept, head = uid("d"), uid("u")
    webhooks.dingtalk_secrets["/ding/signed"] = "SEC-test-secret"
    await rig.publish(
        department(dept),
        person(
            head,
            Role.DEPARTMENT_HEAD,
            dept,
            (Channel.DINGTALK,),
            dingtalk_webhook=webhooks.url("/ding/signed?access_token=abc&secret=SEC-test-secret"),
        ),
        escalation(uid("t"), (dept,), EscalationLevel.ORANGE),
    )
    await rig.deliver()
    (call,) = webhooks.to("/ding/signed")
    assert call.signature_ok is True
    assert "secret" not in call.query and call.query["access_token"] == "abc"
    assert call.body["markdown"]["title"].startswith("【橙色督办】")
    records = [r for r in await rig.dispatch_records() if r.recipient_id == head]
    assert [type(r) for r in records] == [NotificationSent]


async def test_a_crash_mid_send_is_retried_after_the_lease(rig: Rig, smtp: SmtpSink) -> None:
    from notifier.adapters import store

    dept, liaison = uid("d"), uid("u")
    email = f"{liaison}@example.org"
    await rig.publish(
        department(dept),
        person(liaison, Role.LIAISON, dept, (Channel.EMAIL,), email=email),
        escalation(uid("t"), (dept,), EscalationLevel.BLUE),
    )
    now = rig.clock.now()
    async with rig.engine.begin() as conn:  # claimed by a process that then died
        due = [d.notification_id for d in await store.due(conn, now, 100)]
        lease = now + timedelta(seconds=rig.settings.delivery_lease_seconds)
        assert await store.claim(conn, due, now, lease)
    await rig.deliver()
    assert smtp.to(email) == []
    rig.clock.advance(timedelta(seconds=rig.settings.delivery_lease_seconds + 1))
    await rig.deliver()
    assert len(smtp.to(email)) == 1
    async with rig.engine.connect() as conn:
        attempts = await conn.scalar(
            select(func.max(tables.dispatch_records.c.attempt)).where(
                tables.dispatch_records.c.recipient_id == liaison
            )
        )
    assert attempts == 2  # the lost attempt counts


async def test_a_refused_mailbox_fails_at_once_without_retries(rig: Rig, smtp: SmtpSink) -> None:
    dept, liaison, colleague = uid("d"), uid("u"), uid("u")
    email, working = f"{liaison}@example.org", f"{colleague}@example.org"
    smtp.refuse.add(email)
    await rig.publish(
        department(dept),
        person(liaison, Role.LIAISON, dept, (Channel.EMAIL,), email=email),
        person(colleague, Role.LIAISON, dept, (Channel.EMAIL,), email=working),
        escalation(uid("t"), (dept,), EscalationLevel.BLUE),
    )
    await rig.deliver()
    (record,) = [r for r in await rig.dispatch_records() if r.recipient_id == liaison]
    assert isinstance(record, NotificationFailed) and record.final and record.attempt == 1
    assert "拒收" in record.error and "550" in record.error
    assert smtp.to(email) == []
    # The refusal ended only that message: the pooled connections go on sending.
    await rig.publish(escalation(uid("t"), (dept,), EscalationLevel.BLUE))
    await rig.deliver()
    assert len(smtp.to(working)) == 2
