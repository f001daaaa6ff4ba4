"""The running notifier on the real broker, into a real SMTP server and robot webhooks.

One service (consumer, delivery loop, outbox relay) serves the whole module: joining a
consumer group takes seconds. Every test uses ids of its own because topics are shared.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from faststream.kafka import KafkaBroker
from notifier_testkit import department, escalation, person, read_topic, reminder, uid
from sqlalchemy import func, select

from duban_common.kafka import make_broker, publish_envelope
from duban_common.testing.polling import eventually
from duban_contracts import Envelope, Message
from duban_contracts import commands as c
from duban_contracts.events import NotificationFailed, NotificationSent
from duban_contracts.topics import DEAD_LETTER, HEADER_DLQ_REASON, NOTIFICATION_EVENTS
from duban_contracts.vocabulary import Channel, EscalationLevel, Role
from notifier.adapters import tables
from notifier.adapters.sinks import SmtpSink, WebhookSink
from notifier.bootstrap import NotifierService
from notifier.settings import RetryPolicy, Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest_asyncio.fixture(scope="module")
async def webhooks() -> AsyncIterator[WebhookSink]:
    sink = await WebhookSink().start()
    yield sink
    await sink.stop()


@dataclass
class Running:
    service: NotifierService
    producer: KafkaBroker
    bootstrap: str

    async def publish(self, *messages: Message) -> list[Envelope]:
        envelopes = [Envelope.wrap(m, producer="test") for m in messages]
        for envelope in envelopes:
            await publish_envelope(self.producer, envelope)
        return envelopes

    async def knows(self, user_ids: list[str]) -> None:
        """Wait until the notifier's own directory has these people."""

        async def known() -> bool:
            async with self.service.engine.connect() as conn:
                n = await conn.scalar(
                    select(func.count())
                    .select_from(tables.users)
                    .where(tables.users.c.user_id.in_(user_ids))
                )
            return n == len(user_ids)

        await eventually(known, what="directory events")

    async def records(
        self, key: str, n: int, timeout: float = 60
    ) -> list[NotificationSent | NotificationFailed]:
        got = await read_topic(
            self.bootstrap, NOTIFICATION_EVENTS.name, lambda r: r.key == key.encode(), n, timeout
        )
        return [Envelope.from_bytes(r.value).open() for r in got]  # type: ignore[misc]

    async def records_for(
        self, recipient_id: str, n: int, about: set[str], timeout: float = 60
    ) -> list[NotificationSent | NotificationFailed]:
        """Records addressed to one person about any of the tasks `about` (a digest about
        several tasks is keyed by the person). The broker is the session's: this notifier
        also consumes what earlier tests published, and notices for their departments, which
        have no liaison here, reach this module's unscoped supervisors too."""

        def to_them(record: Any) -> bool:
            sent = Envelope.from_bytes(record.value).open()
            return sent.recipient_id == recipient_id and bool(set(sent.task_ids) & about)  # type: ignore[attr-defined]

        got = await read_topic(self.bootstrap, NOTIFICATION_EVENTS.name, to_them, n, timeout)
        return [Envelope.from_bytes(r.value).open() for r in got]  # type: ignore[misc]


@pytest_asyncio.fixture(scope="module")
async def running(
    kafka_bootstrap: str, smtp: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Running]:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=f"sqlite:///{tmp_path_factory.mktemp('notifier') / 'notifier.db'}",
        consumer_group=uid("notifier"),
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        # Generous: on a busy machine 30 events may take seconds to consume.
        digest_window_seconds=10.0,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
        retry_default=RetryPolicy(max_attempts=3, base_seconds=0.05, max_seconds=0.2),
        delivery_poll_seconds=0.1,
        public_base_url="https://duban.example.gov.cn",
    )
    service = NotifierService(settings)
    producer = make_broker(settings)
    async with producer:
        await producer.start()
        async with service:
            yield Running(service, producer, kafka_bootstrap)


@dataclass
class Office:
    """One department with its liaison and head, plus a supervisor and a leader."""

    dept: str
    liaison: str
    head: str
    supervisor: str
    leader: str

    def email(self, user_id: str) -> str:
        return f"{user_id}@example.org"


async def office(running: Running, webhooks: WebhookSink) -> Office:
    o = Office(uid("d"), uid("liaison"), uid("head"), uid("sup"), uid("lead"))
    webhooks.dingtalk_secrets[f"/ding/{o.head}"] = "SEC-head"
    await running.publish(
        department(o.dept),
        person(
            o.liaison,
            Role.LIAISON,
            o.dept,
            (Channel.EMAIL, Channel.WECOM, Channel.INBOX),
            email=o.email(o.liaison),
            wecom_webhook=webhooks.url(f"/wecom/{o.liaison}"),
        ),
        person(
            o.head,
            Role.DEPARTMENT_HEAD,
            o.dept,
            (Channel.EMAIL, Channel.DINGTALK),
            email=o.email(o.head),
            dingtalk_webhook=webhooks.url(f"/ding/{o.head}?access_token=t&secret=SEC-head"),
        ),
        person(
            o.supervisor,
            Role.SUPERVISOR,
            None,
            (Channel.EMAIL, Channel.INBOX),
            email=o.email(o.supervisor),
        ),
        person(
            o.leader,
            Role.LEADERSHIP,
            None,
            (Channel.WECOM,),
            wecom_webhook=webhooks.url(f"/wecom/{o.leader}"),
        ),
    )
    await running.knows([o.liaison, o.head, o.supervisor, o.leader])
    return o


def channels(records: list[Any], recipient: str) -> list[Channel]:
    return sorted(r.channel for r in records if r.recipient_id == recipient)


async def test_escalation_reaches_the_right_people_on_the_right_channels(
    running: Running, smtp: SmtpSink, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    task, task_red = uid("t"), uid("t")
    await running.publish(
        escalation(task, (o.dept,), EscalationLevel.ORANGE),
        escalation(task_red, (o.dept,), EscalationLevel.RED),
    )
    # 橙 and 红 reach the lead liaison and the department head at once, each on their channels.
    for key in (task, task_red):
        sent = await running.records(key, 5)
        assert all(isinstance(r, NotificationSent) for r in sent)
        assert channels(sent, o.liaison) == [Channel.EMAIL, Channel.INBOX, Channel.WECOM]
        assert channels(sent, o.head) == [Channel.DINGTALK, Channel.EMAIL]
    head_mails = sorted(str(m["Subject"]) for m in smtp.to(o.email(o.head)))
    assert head_mails == [
        "【橙色督办】开展劳务品牌调查摸底 已逾期10个工作日",
        "【红色督办】开展劳务品牌调查摸底 已逾期10个工作日",
    ]
    assert all(
        f"https://duban.example.gov.cn/tasks/{task}" in m.get_body(("plain",)).get_content()
        for m in smtp.to(o.email(o.head))
        if "橙" in str(m["Subject"])
    )
    dings = webhooks.to(f"/ding/{o.head}")
    assert len(dings) == 2 and all(d.signature_ok for d in dings)  # DingTalk's HMAC verified

    # The supervisors get a digest per channel listing the tasks by light (红 first). The two
    # tasks share one digest when both arrive within its window; on a busy machine their two
    # partitions may be consumed further apart than that, and each has a digest of its own
    # (one batch's notices always share one: test_inbound_batches.py).
    both = {task, task_red}
    digest = await running.records_for(o.supervisor, 2, both)
    if not all(set(r.task_ids) >= both for r in digest):
        digest = await running.records_for(o.supervisor, 4, both)
    for channel in (Channel.EMAIL, Channel.INBOX):
        mine = [r for r in digest if r.channel is channel]
        assert set().union(*(r.task_ids for r in mine)) >= both
        assert len(mine) <= 2  # never a task twice on one channel
    (mail,) = [
        m
        for m in smtp.to(o.email(o.supervisor))
        if task_red in m.get_body(("plain",)).get_content()
    ]
    # Other tests' notices reach this unscoped supervisor too: their tasks may share it.
    assert str(mail["Subject"]).startswith("【升级督办汇总】您有")
    assert "红色督办" in str(mail["Subject"])
    inbox = next(r for r in digest if r.channel is Channel.INBOX and task_red in r.task_ids)
    assert inbox.body and "省人力资源社会保障厅" in inbox.body
    if task in inbox.task_ids:
        assert inbox.body.index("红色督办") < inbox.body.index("橙色督办")
    # The leadership group hears of the 红 only (other tests' 红 may reach this unscoped leader).
    (wecom,) = [
        w for w in webhooks.to(f"/wecom/{o.leader}") if task_red in w.body["markdown"]["content"]
    ]
    assert "红色督办" in wecom.body["markdown"]["content"]
    assert task not in wecom.body["markdown"]["content"]


async def test_a_duplicate_event_sends_once(
    running: Running, smtp: SmtpSink, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    task = uid("t")
    (envelope,) = await running.publish(escalation(task, (o.dept,), EscalationLevel.BLUE))
    await publish_envelope(running.producer, envelope)  # the same record delivered again
    await running.publish(escalation(task, (o.dept,), EscalationLevel.BLUE))  # re-emitted
    # A later event on the same key (same partition) proves the duplicates were consumed.
    (orange,) = await running.publish(escalation(task, (o.dept,), EscalationLevel.ORANGE))
    records = await running.records(task, 8)  # liaison 3 (蓝) + 3 (橙) + head 2
    await eventually(lambda: len(smtp.to(o.email(o.head))) == 1, what="the sentinel mail")
    assert len(smtp.to(o.email(o.liaison))) == 2
    assert len(webhooks.to(f"/wecom/{o.liaison}")) == 2
    assert channels(records, o.liaison) == sorted([Channel.EMAIL, Channel.INBOX, Channel.WECOM] * 2)
    # Only the first delivery of the blue event produced anything for the liaison.
    assert {r.source_event_ids for r in records if r.recipient_id == o.liaison} == {
        (str(envelope.event_id),),
        (str(orange.event_id),),
    }


async def test_a_webhook_failing_twice_is_retried_and_recorded(
    running: Running, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    task = uid("t")
    webhooks.failures[f"/wecom/{o.liaison}"] = [500, 503]
    await running.publish(escalation(task, (o.dept,), EscalationLevel.BLUE))
    records = await running.records(task, 5)  # e-mail, inbox, and three WeCom attempts
    wecom = sorted((r for r in records if r.channel is Channel.WECOM), key=lambda r: r.attempt)
    assert [(type(r).__name__, r.attempt) for r in wecom] == [
        ("NotificationFailed", 1),
        ("NotificationFailed", 2),
        ("NotificationSent", 3),
    ]
    assert [call.status for call in webhooks.to(f"/wecom/{o.liaison}")] == [500, 503, 200]
    assert len({r.notification_id for r in wecom}) == 1  # one delivery, three attempts


async def test_a_permanently_failing_channel_ends_in_the_dead_letter_topic(
    running: Running, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    task = uid("t")
    webhooks.always[f"/wecom/{o.liaison}"] = 502
    await running.publish(escalation(task, (o.dept,), EscalationLevel.BLUE))
    dead = await read_topic(
        running.bootstrap, DEAD_LETTER.name, lambda r: r.key == task.encode(), 1
    )
    reason = dict(dead[0].headers)[HEADER_DLQ_REASON].decode()
    assert "企业微信" in reason and "HTTP 502" in reason and "3次" in reason
    letter = Envelope.from_bytes(dead[0].value).open()
    assert isinstance(letter, NotificationFailed) and letter.final
    records = await running.records(task, 5)
    failed = [r for r in records if isinstance(r, NotificationFailed)]
    assert [(r.attempt, r.final) for r in sorted(failed, key=lambda r: r.attempt)] == [
        (1, False),
        (2, False),
        (3, True),
    ]


async def test_thirty_reminders_become_one_digest(
    running: Running, smtp: SmtpSink, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    reminders = [reminder(uid("t"), (o.dept,), days_left=n % 3) for n in range(30)]
    await running.publish(*reminders)
    # Dispatch records are written after the sends, so both sinks have the digest by then.
    digest = await running.records(o.liaison, 3)
    assert channels(digest, o.liaison) == [Channel.EMAIL, Channel.INBOX, Channel.WECOM]
    assert all(len(r.task_ids) == 30 for r in digest)
    (mail,) = smtp.to(o.email(o.liaison))
    assert "30项" in str(mail["Subject"])
    assert all(r.task_title in mail.get_body(("plain",)).get_content() for r in reminders)
    (robot,) = webhooks.to(f"/wecom/{o.liaison}")
    assert "今日到期（10项）" in robot.body["markdown"]["content"]


async def test_a_manual_reminder_is_delivered_now(
    running: Running, smtp: SmtpSink, webhooks: WebhookSink
) -> None:
    o = await office(running, webhooks)
    task = uid("t")
    await running.publish(
        c.SendManualReminder(
            task_id=task,
            task_title="建立劳务品牌培育名录",
            department_ids=(o.dept,),
            message="请于本周五前报送进展",
            requested_by=o.supervisor,
        )
    )
    records = await running.records(task, 3)
    assert channels(records, o.liaison) == [Channel.EMAIL, Channel.INBOX, Channel.WECOM]
    (mail,) = smtp.to(o.email(o.liaison))
    assert str(mail["Subject"]) == "【催办】建立劳务品牌培育名录"
    assert "请于本周五前报送进展" in mail.get_body(("plain",)).get_content()
