"""Shared helpers: people and events with ids of their own (topics are shared by the session)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from duban_contracts import Envelope
from duban_contracts import events as e
from duban_contracts.topics import ALL_TOPICS
from duban_contracts.vocabulary import (
    Channel,
    EscalationLevel,
    JurisdictionLevel,
    ReminderKind,
    Role,
)


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def department(department_id: str, name: str = "省人力资源社会保障厅") -> e.DepartmentUpserted:
    return e.DepartmentUpserted(
        department_id=department_id,
        name=name,
        jurisdiction="广东省",
        level=JurisdictionLevel.PROVINCE,
    )


def person(
    user_id: str,
    role: Role,
    department_id: str | None = None,
    channels: tuple[Channel, ...] = (Channel.INBOX,),
    **addresses: Any,
) -> e.UserUpserted:
    return e.UserUpserted(
        user_id=user_id,
        display_name=f"{role.label}{user_id[-4:]}",
        role=role,
        department_id=department_id,
        channels=channels,
        **addresses,
    )


def reminder(
    task_id: str, departments: tuple[str, ...], days_left: int = 3, **kw: Any
) -> e.ReminderDue:
    kind = ReminderKind.DUE_TODAY if days_left == 0 else ReminderKind.BEFORE_DUE
    return e.ReminderDue(
        task_id=task_id,
        task_title=kw.pop("title", f"开展劳务品牌调查摸底{task_id[-4:]}"),
        plan_id="plan-1",
        kind=kind,
        due_on=kw.pop("due_on", date(2026, 3, 6)),
        working_days_left=days_left,
        department_ids=departments,
        scheduled_for=datetime(2026, 3, 2, 1, tzinfo=UTC),
        dedupe_key=f"{task_id}:{kind.value}:{days_left}",
        **kw,
    )


def overdue(task_id: str, departments: tuple[str, ...], days_late: int = 2) -> e.TaskOverdue:
    return e.TaskOverdue(
        task_id=task_id,
        task_title=f"培育劳务品牌{task_id[-4:]}",
        plan_id="plan-1",
        due_on=date(2026, 2, 27),
        working_days_late=days_late,
        department_ids=departments,
        scheduled_for=datetime(2026, 3, 2, 1, tzinfo=UTC),
        dedupe_key=f"{task_id}:overdue:{days_late}",
    )


def escalation(
    task_id: str, departments: tuple[str, ...], level: EscalationLevel
) -> e.EscalationRaised:
    return e.EscalationRaised(
        task_id=task_id,
        task_title="开展劳务品牌调查摸底",
        plan_id="plan-1",
        level=level,
        due_on=date(2026, 3, 6),
        working_days_late=10,
        department_ids=departments,
        reason="逾期10个工作日未报送整改措施",
        scheduled_for=datetime(2026, 3, 20, 1, tzinfo=UTC),
        dedupe_key=f"{task_id}:escalation:{level.value}",
    )


async def read_topic(
    bootstrap: str, topic: str, want: Callable[[Any], bool], n: int, timeout: float = 30
) -> list[Any]:
    """Records of `topic` matching `want`, read from the start without joining a group.

    Delivery is at-least-once: a relay that timed out waiting for an ack publishes the row
    again, so an event read twice (same event id) counts once, as every consumer treats it.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    got: dict[str, Any] = {}
    try:
        partitions = range(next(t.partitions for t in ALL_TOPICS if t.name == topic))
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        async with asyncio.timeout(timeout):
            while len(got) < n:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    for r in records:
                        if want(r):
                            got.setdefault(str(Envelope.from_bytes(r.value).event_id), r)
    finally:
        await consumer.stop()
    return list(got.values())


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    """A moment on 2026-03-<day> given in China time, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)
