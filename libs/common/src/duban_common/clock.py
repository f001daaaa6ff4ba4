"""Injectable clocks. Every service asks a Clock for the time, never `datetime.now()`.

- SystemClock: wall time.
- ManualClock: set and advanced by tests.
- FileClock: simulated time shared by every process of one system, read from a small JSON
  file {"start": ISO datetime, "epoch": unix seconds, "speed": factor}; simulated time is
  start + (now - epoch) * speed. Rewriting the file moves every service's clock at once,
  which is how the demo runs months in minutes and how end-to-end tests advance time.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


def today(clock: Clock) -> date:
    """The calendar day in China, where every deadline lives."""
    return clock.now().astimezone(CHINA).date()


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        self._now = value

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class FileClock:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._mtime = -1.0
        self._start = datetime.now(UTC)
        self._epoch = time.time()
        self._speed = 1.0

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime != self._mtime:
            data = json.loads(self.path.read_text())
            self._start = datetime.fromisoformat(data["start"])
            self._epoch = float(data["epoch"])
            self._speed = float(data.get("speed", 1.0))
            self._mtime = mtime

    def now(self) -> datetime:
        self._reload()
        return self._start + timedelta(seconds=(time.time() - self._epoch) * self._speed)

    @staticmethod
    def write(path: str | os.PathLike[str], start: datetime, speed: float = 1.0) -> None:
        """Set simulated time to `start` from this instant on, running at `speed`."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(".tmp")
        payload = {"start": start.isoformat(), "epoch": time.time(), "speed": speed}
        tmp.write_text(json.dumps(payload))
        os.replace(tmp, p)  # atomic: readers never see half a file


def clock_from_file_setting(clock_file: str | None) -> Clock:
    return FileClock(clock_file) if clock_file else SystemClock()
