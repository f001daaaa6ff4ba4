"""The robots' rate limit is shared through the database: replicas racing for the same robot
never send it more than `limit` messages in any minute, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from duban_common.clock import ManualClock
from duban_common.db import make_engine
from duban_common.migrations import upgrade
from notifier.adapters.robot_limits import SharedRobotLimiter
from notifier.bootstrap import MIGRATIONS

pytestmark = pytest.mark.integration

ROBOT = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=busy"


async def test_replicas_share_twenty_a_minute_per_robot(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url, MIGRATIONS)
    clock = ManualClock(datetime(2026, 3, 2, 1, tzinfo=UTC))
    engines = [make_engine(db_url), make_engine(db_url)]  # two replicas' pools
    limiters = [SharedRobotLimiter(20, clock.now), SharedRobotLimiter(20, clock.now)]

    async def ask(replica: int, robot: str = ROBOT) -> float:
        while True:
            try:
                async with engines[replica].begin() as conn:
                    return await limiters[replica].try_acquire(conn, robot)
            except OperationalError:  # SQLite's one writer was busy: the loop tries again
                await asyncio.sleep(0.01)

    async def burst(n: int) -> int:
        """`n` asks at once across both replicas (losers of a race are told to wait), then
        one at a time until the robot is full: how many sends were allowed in all."""
        waits = await asyncio.gather(*(ask(i % 2) for i in range(n)))
        assert all(0 <= w <= 60 for w in waits)
        granted = sum(w == 0.0 for w in waits)
        for i in range(n):
            if await ask(i % 2):
                break
            granted += 1
        return granted

    try:
        assert await burst(50) == 20
        assert await ask(1, ROBOT + "-other") == 0.0  # each robot has its own budget

        clock.advance(timedelta(seconds=30))
        assert await ask(0) == pytest.approx(30.0)  # the first slots free at 60 s
        clock.advance(timedelta(seconds=31))
        assert await burst(30) == 20  # a new minute: twenty more, no more
        async with engines[0].begin() as conn:
            assert await SharedRobotLimiter(0, clock.now).try_acquire(conn, ROBOT) == 0.0
    finally:
        for engine in engines:
            await engine.dispose()
