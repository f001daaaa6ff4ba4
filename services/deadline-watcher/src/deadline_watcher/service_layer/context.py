"""Everything a handler or the scheduler needs, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from deadline_watcher.adapters.db import make_watcher_engine
from deadline_watcher.adapters.outgoing import OutgoingEvent, encode
from deadline_watcher.domain.calendar import WorkingCalendar
from deadline_watcher.domain.policy import PolicyBook
from deadline_watcher.domain.timers import FireTime
from deadline_watcher.settings import Settings
from duban_common.clock import Clock, clock_from_file_setting
from duban_contracts import Envelope, Message

PRODUCER = "deadline-watcher"


@dataclass
class WatcherContext:
    settings: Settings
    engine: AsyncEngine
    clock: Clock
    calendar: WorkingCalendar
    policies: PolicyBook
    fire: FireTime
    # Called after a commit that wrote outbox rows (OutboxRelay.wake).
    on_commit: Callable[[], None] = field(default=lambda: None)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None, engine: AsyncEngine | None = None
    ) -> WatcherContext:
        return cls(
            settings=settings,
            engine=engine or make_watcher_engine(settings.database_url),
            clock=clock or clock_from_file_setting(settings.clock_file),
            calendar=WorkingCalendar.from_override_file(settings.calendar_overrides_file),
            policies=settings.policy_book(),
            fire=FireTime(settings.reminder_time, settings.zone),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.fire.local_date(self.clock.now())

    def wrap(self, message: Message, now: datetime, cause: Envelope | None = None) -> Envelope:
        return Envelope.wrap(message, producer=PRODUCER, occurred_at=now, causation=cause)

    def encode(
        self, message: Message, now: datetime, traceparent: str | None = None
    ) -> OutgoingEvent:
        """The scheduler's fast path: straight to the outbox's bytes (see `outgoing`)."""
        return encode(message, PRODUCER, now, traceparent)
