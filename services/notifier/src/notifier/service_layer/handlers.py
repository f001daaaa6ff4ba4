"""Inbound events: keep the directory, and queue deliveries for the events that tell people.

Each event is handled in one transaction together with its inbox claim, so a redelivered
event changes nothing; each (source event, recipient, channel) is queued at most once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common import inbox
from duban_common.clock import Clock
from duban_common.logging import get_logger
from duban_contracts import Envelope, Message
from duban_contracts import events as e
from notifier.adapters import directory, store, tables
from notifier.domain.model import Notice
from notifier.domain.notices import HANDLED_EVENT_TYPES, notice_for
from notifier.domain.policies import channels_for
from notifier.settings import Settings

log = get_logger(__name__)

CONSUMER = "notifier"

DIRECTORY_EVENT_TYPES = frozenset(
    cls.EVENT_TYPE
    for cls in (e.DepartmentUpserted, e.DepartmentRemoved, e.UserUpserted, e.UserRemoved)
)
ACCEPTED_EVENT_TYPES = HANDLED_EVENT_TYPES | DIRECTORY_EVENT_TYPES | {e.TaskRegistered.EVENT_TYPE}


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
        async with self.engine.begin() as conn:
            if not await inbox.claim(conn, tables.inbox, CONSUMER, str(envelope.event_id)):
                return
            urgent = await self._apply(conn, envelope, message)
        if urgent:
            self.on_urgent()

    async def _apply(self, conn: AsyncConnection, envelope: Envelope, message: Message) -> bool:
        match message:
            case e.DepartmentUpserted():
                await directory.upsert_department(conn, message)
            case e.DepartmentRemoved():
                await directory.remove_department(conn, message.department_id)
            case e.UserUpserted():
                await directory.upsert_user(conn, message)
            case e.UserRemoved():
                await directory.remove_user(conn, message.user_id)
            case e.TaskRegistered():
                await directory.remember_task(conn, message.task_id, message.title)
            case _:
                notice = notice_for(message, str(envelope.event_id))
                if notice is not None:
                    queued = await self.queue(conn, notice, envelope)
                    return queued > 0 and notice.urgent
        return False

    async def queue(self, conn: AsyncConnection, notice: Notice, envelope: Envelope) -> int:
        people = await directory.recipients(conn, notice.audience)
        if not people:
            log.warning(
                "no_recipients",
                event_id=str(envelope.event_id),
                event_type=envelope.event_type,
                departments=list(notice.audience.departments),
            )
            return 0
        allowed = self.settings.channels_for(notice.kind)
        log_robots = self.settings.environment != "production"
        targets = [
            (person, channel)
            for person in people
            for channel in channels_for(person, allowed, unaddressed_robots=log_robots)
        ]
        return await store.enqueue(
            conn,
            notice,
            targets,
            now=self.clock.now().astimezone(UTC),
            digest_window=timedelta(seconds=self.settings.digest_window_seconds),
        )
