"""Shared helpers: a watcher on a migrated store with a manual clock, driven step by step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from deadline_watcher.adapters.tables import outbox, timers
from deadline_watcher.bootstrap import MIGRATIONS
from deadline_watcher.service_layer import handlers
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.service_layer.scheduler import Scheduler
from deadline_watcher.settings import Settings
from duban_common.clock import CHINA, ManualClock
from duban_common.migrations import upgrade
from duban_contracts import Envelope, Message


def local(day: date, at: time = time(9, 0, 1)) -> datetime:
    return datetime.combine(day, at, tzinfo=CHINA)


@dataclass
class Watcher:
    ctx: WatcherContext
    clock: ManualClock
    scheduler: Scheduler

    async def send(self, message: Message, envelope: Envelope | None = None) -> Envelope:
        envelope = envelope or Envelope.wrap(message, producer="task-ledger")
        await handlers.handle(self.ctx, envelope, message)
        return envelope

    async def fire(self) -> int:
        total = 0
        while n := await self.scheduler.fire_due():
            total += n
        return total

    async def run_days(self, first: date, last: date) -> dict[date, list[Message]]:
        """Each day at 09:00:01 local: fire what is due; the events by day."""
        seen = len(await self.events())
        by_day: dict[date, list[Message]] = {}
        day = first
        while day <= last:
            self.clock.set(local(day))
            await self.fire()
            events = await self.events()
            if len(events) > seen:
                by_day[day] = [m for _, m in events[seen:]]
                seen = len(events)
            day += timedelta(days=1)
        return by_day

    async def events(self) -> list[tuple[Envelope, Message]]:
        async with self.ctx.engine.connect() as conn:
            rows = (await conn.execute(select(outbox.c.body).order_by(outbox.c.id))).scalars()
            envelopes = [Envelope.from_bytes(b) for b in rows]
        return [(e, e.open()) for e in envelopes]

    async def pending(self, task_id: str) -> list[Any]:
        async with self.ctx.engine.connect() as conn:
            query = select(timers).where(timers.c.task_id == task_id, timers.c.fired_at.is_(None))
            return list((await conn.execute(query.order_by(timers.c.fire_at))).all())


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, environment="test", **overrides)


@pytest.fixture
async def watcher(db_url: str) -> AsyncIterator[Watcher]:
    upgrade(db_url, MIGRATIONS)
    clock = ManualClock(local(date(2025, 9, 1)))
    ctx = WatcherContext.from_settings(settings_for(db_url), clock=clock)
    yield Watcher(ctx, clock, Scheduler(ctx))
    await ctx.engine.dispose()
