"""The robots' rate limit (WeCom and DingTalk allow 20 messages a minute per robot), shared by
every notifier process through the database.

A sliding window kept as `limit` slot rows per robot, each holding when it was last used.
Sending takes the slot used longest ago, if that was a whole period back, with one
compare-and-set UPDATE (`... WHERE used_at <= cutoff`): two processes racing for the same
slot cannot both win (PostgreSQL re-checks the condition on the row it waited for; SQLite has
one writer), so no robot ever gets more than `limit` messages in any `period`, however many
replicas run. The slot is taken in the caller's transaction: a pass that rolls back frees it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.db import dialect_insert
from notifier.adapters.tables import robot_slots

# Enough tries for every replica to lose a race once; then the caller waits a moment.
MAX_RACES = 8
RETRY_SOON_SECONDS = 1.0


def robot_key(robot: str) -> str:
    """A fixed-length key for a robot's URL (URLs are long; the limit needs only identity)."""
    return hashlib.sha256(robot.encode()).hexdigest()


class SharedRobotLimiter:
    """At most `limit` messages per `period` per robot across processes. Asking when full
    gives the wait (the caller postpones the message, never drops it). `limit` 0: off."""

    def __init__(self, limit: int, clock: Callable[[], datetime], period: float = 60.0) -> None:
        self.limit = limit
        self.period = timedelta(seconds=period)
        self._now = clock

    async def try_acquire(self, conn: AsyncConnection, robot: str) -> float:
        """0 and a slot taken if the robot may send now, else seconds until a slot frees."""
        if self.limit <= 0:
            return 0.0
        key = robot_key(robot)
        t = robot_slots
        for _ in range(MAX_RACES):
            now = self._now().astimezone(UTC)
            cutoff = now - self.period
            rows = (
                await conn.execute(
                    select(t.c.slot, t.c.used_at).where(t.c.robot_key == key, t.c.slot < self.limit)
                )
            ).all()
            free = sorted(set(range(self.limit)) - {r.slot for r in rows})
            if free:  # a slot never used: created taken (a racer creating it too loses)
                created = await conn.execute(
                    dialect_insert(conn, t)
                    .values(robot_key=key, slot=free[0], used_at=now)
                    .on_conflict_do_nothing()
                    .returning(t.c.slot)
                )
                if created.first() is not None:
                    return 0.0
                continue
            oldest = min(rows, key=lambda r: r.used_at)
            if oldest.used_at > cutoff:
                return max((oldest.used_at + self.period - now).total_seconds(), 0.001)
            taken = await conn.execute(
                update(t)
                .where(t.c.robot_key == key, t.c.slot == oldest.slot, t.c.used_at <= cutoff)
                .values(used_at=now)
                .returning(t.c.slot)
            )
            if taken.first() is not None:
                return 0.0
        return RETRY_SOON_SECONDS
