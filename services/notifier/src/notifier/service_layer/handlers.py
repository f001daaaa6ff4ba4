"""Inbound events: keep the directory, and queue deliveries for the events that tell people.

A batch of events is handled in one transaction together with their inbox claims, so a
redelivered event changes nothing; each (source event, recipient, channel) is queued at
most once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common import inbox
from duban_common.batch_consumer import Inbound, consumer_span
from duban_common.clock import Clock
from duban_common.logging import get_logger
from duban_common.messagebus import handled_types, handler_for
from duban_common.uow import UnitOfWork
from duban_contracts import Envelope, Message
from duban_contracts import events as e
from duban_contracts.vocabulary import Channel
from notifier.adapters import directory, store, tables
from notifier.domain.model import Audience, Kind, Notice, Recipient, to_overseers_for_unstaffed
from notifier.domain.notices import NOTICE_MESSAGES, notices_for
from notifier.domain.policies import channels_for
from notifier.settings import Settings

log = get_logger(__name__)
tracer = trace.get_tracer("duban.notifier")

CONSUMER = "notifier"


def accepts(event_type: str) -> bool:
    """Event types worth opening; the rest of a shared topic is committed untouched."""
    return event_type in ACCEPTED_EVENT_TYPES


class EventHandler:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        clock: Clock,
        on_urgent: Callable[[], None] = lambda: None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.on_urgent = on_urgent  # wakes the delivery loop

    async def __call__(self, envelope: Envelope, message: Message) -> None:
        await self.handle_batch([Inbound(envelope, message)])

    async def handle_batch(self, events: Sequence[Inbound]) -> int:
        """Apply the events in order in one transaction; returns how many were new."""
        async with UnitOfWork(self.engine, tables.outbox) as uow:
            conn = uow.conn
            fresh = await inbox.claim_new(
                conn, tables.inbox, CONSUMER, [str(i.envelope.event_id) for i in events]
            )
            batch = _Batch(
                self.clock.now().astimezone(UTC),
                timedelta(seconds=self.settings.digest_window_seconds),
            )
            handled = 0
            for item in events:
                event_id = str(item.envelope.event_id)
                if event_id not in fresh:
                    continue
                fresh.discard(event_id)  # a duplicate within the batch counts once
                handled += 1
                with consumer_span(item):
                    await self._apply(conn, item.envelope, item.message, batch)
            queued = await batch.enqueuing.write(conn)
        if any(n and notice.urgent for notice, n in queued):
            self.on_urgent()
        return handled

    async def _apply(
        self, conn: AsyncConnection, envelope: Envelope, message: Message, batch: _Batch
    ) -> None:
        handler = handler_for(HANDLERS, message)
        if handler is not None:
            await handler(self, conn, envelope, message, batch)

    async def queue(
        self, conn: AsyncConnection, notice: Notice, envelope: Envelope, batch: _Batch
    ) -> None:
        if notice.audience.global_roles and notice.audience.plan_id is None and notice.task_id:
            # Overseers are reached per plan: a notice about a task names the task's plan.
            plan_id = await directory.plan_of(conn, notice.task_id)
            notice = dataclasses.replace(
                notice, audience=dataclasses.replace(notice.audience, plan_id=plan_id)
            )
        unstaffed = batch.unstaffed.get(notice.audience)
        if unstaffed is not None and notice.task_id:
            await self.queue(conn, to_overseers_for_unstaffed(notice, unstaffed), envelope, batch)
            return
        targets = batch.targets.get((notice.audience, notice.kind))
        if targets is None:
            people = await directory.recipients(conn, notice.audience)
            if _nobody_in_departments(notice.audience, people) and notice.task_id:
                names = await directory.department_names(conn, notice.audience.departments)
                log.info("unstaffed_to_supervisors", departments=list(notice.audience.departments))
                batch.unstaffed[notice.audience] = tuple(
                    names.get(d, d) for d in notice.audience.departments
                )
                await self.queue(conn, notice, envelope, batch)
                return
            allowed = self.settings.channels_for(notice.kind)
            log_robots = self.settings.environment != "production"
            targets = batch.targets[(notice.audience, notice.kind)] = [
                (person, channel)
                for person in people
                for channel in channels_for(person, allowed, unaddressed_robots=log_robots)
            ]
        if not targets:
            log.warning(
                "no_recipients",
                event_id=str(envelope.event_id),
                event_type=envelope.event_type,
                departments=list(notice.audience.departments),
            )
            return
        batch.enqueuing.add(notice, targets)


def _nobody_in_departments(audience: Audience, people: list[Recipient]) -> bool:
    """Whether a notice for departments reaches nobody there: no liaison (or head) exists."""
    if not (audience.departments and audience.department_roles):
        return False
    return not any(
        p.role in audience.department_roles and p.department_id in audience.departments
        for p in people
    )


class _Batch:
    """Per-batch state: the deliveries to write, and who each audience reaches how."""

    def __init__(self, now: datetime, digest_window: timedelta) -> None:
        self.enqueuing = store.Enqueuing(now, digest_window)
        self.targets: dict[tuple[Audience, Kind], list[tuple[Recipient, Channel]]] = {}
        # Department audiences nobody is liaison of, with the departments' names: their
        # notices go to the plan's supervisors (see to_overseers_for_unstaffed).
        self.unstaffed: dict[Audience, tuple[str, ...]] = {}

    def forget_directory(self) -> None:
        """The directory changed: later events of the batch look people up again."""
        self.targets.clear()
        self.unstaffed.clear()


Handler = Callable[[EventHandler, AsyncConnection, Envelope, Any, _Batch], Awaitable[None]]


async def on_department_upserted(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: e.DepartmentUpserted, batch: _Batch
) -> None:
    await directory.upsert_department(conn, m)
    batch.forget_directory()


async def on_department_removed(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: e.DepartmentRemoved, batch: _Batch
) -> None:
    await directory.remove_department(conn, m.department_id)
    batch.forget_directory()


async def on_user_upserted(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: e.UserUpserted, batch: _Batch
) -> None:
    await directory.upsert_user(conn, m)
    batch.forget_directory()


async def on_user_removed(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: e.UserRemoved, batch: _Batch
) -> None:
    await directory.remove_user(conn, m.user_id)
    batch.forget_directory()


async def on_task_registered(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: e.TaskRegistered, batch: _Batch
) -> None:
    """Remembers the task's title and plan (a notice names them, overseers are per plan)."""
    await directory.remember_task(conn, m.task_id, m.title, m.plan_id)


async def on_notice_message(
    h: EventHandler, conn: AsyncConnection, env: Envelope, m: Message, batch: _Batch
) -> None:
    """An event that tells people something: queue its deliveries."""
    for notice in notices_for(m, str(env.event_id)):
        await h.queue(conn, notice, env, batch)


HANDLERS: dict[type[Message], Handler] = {
    e.DepartmentUpserted: on_department_upserted,
    e.DepartmentRemoved: on_department_removed,
    e.UserUpserted: on_user_upserted,
    e.UserRemoved: on_user_removed,
    e.TaskRegistered: on_task_registered,
    **dict.fromkeys(NOTICE_MESSAGES, on_notice_message),
}
ACCEPTED_EVENT_TYPES = handled_types(HANDLERS)
