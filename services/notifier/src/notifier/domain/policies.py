"""Delivery rules: channel choice, quiet hours, retry backoff. (The per-robot rate limit is
shared by every notifier process, so it lives with the database: adapters/robot_limits.py.)"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from duban_contracts.vocabulary import Channel
from notifier.domain.model import Recipient

CHINA = ZoneInfo("Asia/Shanghai")


ROBOT_CHANNELS = frozenset({Channel.WECOM, Channel.DINGTALK})


def channels_for(
    person: Recipient, allowed: Iterable[Channel], *, unaddressed_robots: bool = False
) -> list[Channel]:
    """The person's chosen channels that this kind of message may use and that reach them.

    `unaddressed_robots` keeps robot channels without a URL (development: they are logged).
    """
    allowed_set = set(allowed)
    return [
        ch
        for ch in dict.fromkeys(person.channels)
        if ch in allowed_set
        and (person.address(ch) or (unaddressed_robots and ch in ROBOT_CHANNELS))
    ]


def quiet_until(now: datetime, start: time, end: time) -> datetime | None:
    """End of the quiet period `now` falls in (China time), or None outside quiet hours."""
    if start == end:
        return None
    local = now.astimezone(CHINA)
    t = local.time()
    in_quiet = (start <= t < end) if start < end else (t >= start or t < end)
    if not in_quiet:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=CHINA)


def retry_delay(
    attempt: int,
    base_seconds: float,
    max_seconds: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before attempt `attempt + 1`: exponential, capped, with ±50 % jitter."""
    raw = min(base_seconds * 2 ** (attempt - 1), max_seconds)
    return raw * (0.5 + rand())
