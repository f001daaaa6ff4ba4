"""The batched consumer on both stores: one transaction per batch, idempotent per event,
a poison event dead-lettered alone. Records go straight into `handle_records` (what the
Kafka subscriber calls), so no broker is needed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
import pytest_asyncio
from notifier_testkit import at, department, escalation, person, reminder, uid
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common.batch_consumer import handle_records
from duban_common.clock import ManualClock
from duban_common.db import make_engine
from duban_common.migrations import upgrade
from duban_contracts import Envelope, Message
from duban_contracts.topics import SUPERVISION_EVENTS
from duban_contracts.vocabulary import Channel, EscalationLevel, Role
from notifier.adapters import tables
from notifier.bootstrap import MIGRATIONS
from notifier.entrypoints.messaging import consumes
from notifier.service_layer.handlers import EventHandler, _Batch
from notifier.settings import Settings

pytestmark = pytest.mark.integration


class PoisonedHandler(EventHandler):
    """Fails on the events named in `poison`, as a handler bug or bad data would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.poison: set[str] = set()

    async def _apply(
        self, conn: AsyncConnection, envelope: Envelope, message: Message, batch: _Batch
    ) -> None:
        if str(envelope.event_id) in self.poison:
            raise ValueError("无法处理的事件")
        await super()._apply(conn, envelope, message, batch)


@dataclass
class Consumer:
    engine: AsyncEngine
    handler: PoisonedHandler
    settings: Settings
    dead: list[tuple[bytes, str]] = field(default_factory=list)
    offset: int = 0

    def record(self, value: bytes | Message | None) -> SimpleNamespace:
        if value is not None and not isinstance(value, bytes):
            value = Envelope.wrap(value, producer="test").to_bytes()
        self.offset += 1
        return SimpleNamespace(
            topic=SUPERVISION_EVENTS.name,
            partition=0,
            offset=self.offset,
            key=b"k",
            value=value,
            headers=(),
        )

    async def consume(self, records: list[Any]) -> None:
        async def to_dead_letter(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
            self.dead.append((raw, reason))

        await handle_records(
            records, self.handler.handle_batch, self.settings, to_dead_letter, consumes
        )

    async def items_for(self, user_id: str) -> list[Any]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(tables.delivery_items.c.task_id, tables.deliveries.c.notification_id)
                .join(tables.deliveries)
                .where(tables.deliveries.c.recipient_id == user_id)
            )
            return list(rows)


@pytest_asyncio.fixture
async def consumer(db_url: str) -> AsyncIterator[Consumer]:
    settings = Settings(database_url=db_url, consumer_max_attempts=2, consumer_retry_base_seconds=0)
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    engine = make_engine(db_url)
    handler = PoisonedHandler(engine, settings, ManualClock(at(9)))
    yield Consumer(engine, handler, settings)
    await engine.dispose()


async def test_batch_with_a_duplicate_and_poison_queues_the_rest_once(consumer: Consumer) -> None:
    dept, liaison = uid("d"), uid("u")
    first, second, bad = uid("t"), uid("t"), uid("t")
    directory = [
        consumer.record(department(dept)),
        consumer.record(
            person(liaison, Role.LIAISON, dept, (Channel.INBOX, Channel.EMAIL), email="a@b.cn")
        ),
    ]
    one = consumer.record(escalation(first, (dept,), EscalationLevel.BLUE))
    poison_envelope = Envelope.wrap(escalation(bad, (dept,), EscalationLevel.BLUE), producer="t")
    consumer.handler.poison.add(str(poison_envelope.event_id))
    batch = [
        *directory,
        one,
        consumer.record(one.value),  # the same event twice in one batch
        consumer.record(b"{not an envelope"),
        consumer.record(None),  # a tombstone
        consumer.record(poison_envelope.to_bytes()),
        consumer.record(escalation(first, (dept,), EscalationLevel.BLUE)),  # re-emitted
        consumer.record(escalation(second, (dept,), EscalationLevel.BLUE)),
    ]
    await consumer.consume(batch)

    items = await consumer.items_for(liaison)
    assert sorted(task for task, _ in items) == sorted([first, first, second, second])
    reasons = [reason for _, reason in consumer.dead]
    assert len(reasons) == 3
    assert reasons[0].startswith("无法解析的消息") and reasons[1].startswith("无法解析的消息")
    assert reasons[2].startswith("处理失败（已重试2次）") and "无法处理的事件" in reasons[2]
    assert consumer.dead[2][0] == poison_envelope.to_bytes()

    # The whole batch again (a crash before the offsets were committed): nothing new.
    consumer.handler.poison.clear()
    await consumer.consume([r for r in batch if r.value not in (b"{not an envelope", None)])
    after = await consumer.items_for(liaison)
    assert sorted(task for task, _ in after) == sorted([first, first, second, second, bad, bad])


async def test_reminders_of_one_batch_share_one_digest(consumer: Consumer) -> None:
    dept, liaison = uid("d"), uid("u")
    await consumer.consume(
        [
            consumer.record(department(dept)),
            consumer.record(person(liaison, Role.LIAISON, dept, (Channel.EMAIL,), email="a@b.cn")),
        ]
    )
    await consumer.consume([consumer.record(reminder(uid("t"), (dept,))) for _ in range(3)])
    await consumer.consume([consumer.record(reminder(uid("t"), (dept,))) for _ in range(2)])
    items = await consumer.items_for(liaison)
    assert len(items) == 5
    assert len({notification_id for _, notification_id in items}) == 1  # one digest


async def test_directory_change_applies_to_later_events_of_the_batch(consumer: Consumer) -> None:
    dept, first, second = uid("d"), uid("u"), uid("u")
    await consumer.consume(
        [
            consumer.record(department(dept)),
            consumer.record(person(first, Role.LIAISON, dept)),
            consumer.record(escalation(uid("t"), (dept,), EscalationLevel.BLUE)),
            consumer.record(person(second, Role.LIAISON, dept)),
            consumer.record(escalation(uid("t"), (dept,), EscalationLevel.BLUE)),
        ]
    )
    assert len(await consumer.items_for(first)) == 2
    assert len(await consumer.items_for(second)) == 1


async def test_unreachable_database_rewinds_instead_of_dead_lettering(consumer: Consumer) -> None:
    class DatabaseDown(PoisonedHandler):
        async def handle_batch(self, events: Any) -> int:
            raise OperationalError("INSERT", {}, ConnectionRefusedError("数据库无法连接"))

    handler = DatabaseDown(consumer.engine, consumer.settings, ManualClock(at(9)))
    records = [consumer.record(escalation(uid("t"), (uid("d"),), EscalationLevel.BLUE))]
    with pytest.raises(OperationalError):  # the subscriber nacks: the batch is read again
        await handle_records(
            records, handler.handle_batch, consumer.settings, _no_dead_letters, consumes
        )


async def _no_dead_letters(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
    raise AssertionError(f"dead-lettered: {reason}")


async def test_overseers_are_reached_only_for_the_plans_they_oversee(consumer: Consumer) -> None:
    """督查 limited to some plans: escalations of other plans, and notices about no plan
    (a department's missing reports), go to the overseers of that plan and the unscoped."""
    from duban_contracts import events as e

    def replace(message: e.UserUpserted, **changes: Any) -> e.UserUpserted:
        return message.model_copy(update=changes)

    dept = uid("d")
    plan_a, plan_b = uid("plan"), uid("plan")
    scoped_a, scoped_b, everyone = uid("sa"), uid("sb"), uid("all")
    leader_b = uid("lb")
    await consumer.consume(
        [
            consumer.record(department(dept)),
            consumer.record(replace(person(scoped_a, Role.SUPERVISOR), plan_ids=(plan_a,))),
            consumer.record(replace(person(scoped_b, Role.SUPERVISOR), plan_ids=(plan_b,))),
            consumer.record(replace(person(leader_b, Role.LEADERSHIP), plan_ids=(plan_b,))),
            consumer.record(person(everyone, Role.SUPERVISOR)),
        ]
    )
    orange_a, red_b, answered_b = uid("t"), uid("t"), uid("t")
    orange = escalation(orange_a, (dept,), EscalationLevel.ORANGE)
    red = escalation(red_b, (dept,), EscalationLevel.RED)
    await consumer.consume(
        [
            consumer.record(
                e.TaskRegistered(
                    task_id=answered_b,
                    plan_id=plan_b,
                    plan_title="方案乙",
                    measure_id=uid("m"),
                    title="任务乙",
                    lead_department_ids=(dept,),
                    due_on=None,
                )
            ),
            consumer.record(orange.model_copy(update={"plan_id": plan_a})),
            consumer.record(red.model_copy(update={"plan_id": plan_b})),
            consumer.record(
                e.SupervisionNoticeAnswered(
                    task_id=answered_b, notice_id=uid("n"), department_id=dept, answer="已整改"
                )
            ),
            consumer.record(
                e.ReportMissing(
                    department_id=dept,
                    period="2026-03",
                    report_due_on=at(9).date(),
                    consecutive_misses=3,
                    escalation_level=EscalationLevel.RED,
                    scheduled_for=at(9),
                    dedupe_key=uid("missing"),
                )
            ),
        ]
    )

    async def tasks_of(user: str) -> list[str | None]:
        return sorted((task or "-") for task, _ in await consumer.items_for(user))

    assert await tasks_of(scoped_a) == [orange_a]
    assert await tasks_of(scoped_b) == sorted([red_b, answered_b])
    assert await tasks_of(leader_b) == [red_b]
    assert sorted(await tasks_of(everyone)) == sorted(["-", orange_a, red_b, answered_b])


async def test_notices_for_a_department_nobody_is_liaison_of_reach_the_supervisors(
    consumer: Consumer,
) -> None:
    """各县（市、区）人民政府 (a collective group, not yet split) has no liaison: its reminders
    and escalations go to the plan's supervisors, saying why, instead of into the void."""
    from duban_contracts import events as e

    group, staffed, plan = uid("d"), uid("d"), uid("plan")
    supervisor, other_plan, liaison = uid("sup"), uid("sup"), uid("u")
    task = uid("t")
    await consumer.consume(
        [
            consumer.record(department(group, "各县（市、区）人民政府")),
            consumer.record(department(staffed)),
            consumer.record(person(liaison, Role.LIAISON, staffed)),
            consumer.record(
                person(supervisor, Role.SUPERVISOR).model_copy(update={"plan_ids": (plan,)})
            ),
            consumer.record(
                person(other_plan, Role.SUPERVISOR).model_copy(update={"plan_ids": (uid("p"),)})
            ),
            consumer.record(
                e.TaskRegistered(
                    task_id=task,
                    plan_id=plan,
                    plan_title="方案",
                    measure_id=uid("m"),
                    title="推进就业服务站进村入社区",
                    lead_department_ids=(group,),
                    due_on=None,
                )
            ),
        ]
    )
    await consumer.consume(
        [
            consumer.record(reminder(task, (group,))),
            consumer.record(escalation(task, (group,), EscalationLevel.BLUE)),
            consumer.record(reminder(uid("t"), (staffed,))),  # a staffed unit: its liaison
        ]
    )
    assert sorted(t for t, _ in await consumer.items_for(supervisor)) == [task, task]
    assert await consumer.items_for(other_plan) == []  # only the task's plan's supervisors
    assert len(await consumer.items_for(liaison)) == 1
    async with consumer.engine.connect() as conn:
        facts = (
            await conn.execute(
                select(tables.delivery_items.c.facts)
                .join(tables.deliveries)
                .where(tables.deliveries.c.recipient_id == supervisor)
            )
        ).scalars()
        assert all(f["unstaffed_departments"] == "各县（市、区）人民政府" for f in facts)
