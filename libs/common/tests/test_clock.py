from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from duban_common.clock import CHINA, FileClock, ManualClock, today

pytestmark = pytest.mark.unit


def test_manual_clock_advances_and_today_is_chinese_date() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 17, 0, tzinfo=UTC))  # 01:00 on the 2nd in Beijing
    assert today(clock).isoformat() == "2026-03-02"
    clock.advance(timedelta(days=1))
    assert today(clock).isoformat() == "2026-03-03"
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 3, 1))


def test_file_clock_is_shared_and_rewritable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "clock.json"
    FileClock.write(path, datetime(2026, 1, 5, 9, tzinfo=CHINA), speed=3600)
    a, b = FileClock(path), FileClock(path)
    t0 = a.now()
    assert abs((b.now() - t0).total_seconds()) < 60  # same simulated time in two readers
    time.sleep(0.05)
    assert a.now() - t0 >= timedelta(seconds=150)  # 0.05 s real = 3 min simulated
    time.sleep(0.02)  # let the mtime move on coarse filesystems
    FileClock.write(path, datetime(2026, 2, 1, 9, tzinfo=CHINA), speed=1)
    assert a.now().astimezone(CHINA).date().isoformat() == "2026-02-01"
