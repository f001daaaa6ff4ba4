"""Everything a handler or the scheduler needs, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from deadline_watcher.adapters.db import make_watcher_engine
from deadline_watcher.adapters.tables import outbox
from deadline_watcher.domain.calendar import WorkingCalendar
from deadline_watcher.domain.policy import PolicyBook
from deadline_watcher.domain.timers import FireTime
from deadline_watcher.settings import Settings
from duban_common.clock import Clock, clock_from_file_setting
from duban_common.uow import UnitOfWork
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

    def wrap(
        self,
        message: Message,
        now: datetime,
        cause: Envelope | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        return Envelope.wrap(
            message, producer=PRODUCER, occurred_at=now, causation=cause, traceparent=traceparent
        )

    def unit_of_work(self) -> UnitOfWork:
        """A transaction on the watcher's store whose events go to its outbox."""
        return UnitOfWork(self.engine, outbox, on_commit=self.on_commit)
