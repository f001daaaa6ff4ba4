"""Waiting in tests for something that happens in the background (a relay, a consumer, a
process), the one way every package's tests do it.

Neither helper asserts a timing: the timeout only bounds a hang, and a timeout fails the
test with `what` in its message.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL_SECONDS = 0.05


async def eventually(
    check: Callable[[], Awaitable[T] | T],
    timeout: float = 30,
    what: str = "condition",
    interval: float = INTERVAL_SECONDS,
) -> T:
    """Call `check` (sync or async) until it returns something truthy; return that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        value = await result if inspect.isawaitable(result) else result
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def wait_until(
    check: Callable[[], T],
    timeout: float = 30,
    what: str = "condition",
    interval: float = INTERVAL_SECONDS,
) -> T:
    """`eventually` for code outside an event loop (processes, files)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
