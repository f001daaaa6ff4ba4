"""What the end-to-end tests share: the whole system, started like `make run`, with the shared
clock set to a given moment before the first start."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from duban.first_start import LedgerClient, first_start
from duban.launcher import SERVICES, SystemLauncher
from duban_common.clock import FileClock
from duban_common.embedded_broker import free_port


def launched_at(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    start: datetime,
    digest_window_seconds: int = 1,
) -> Iterator[SystemLauncher]:
    """Start every service on the embedded broker at `start`, import the seeds (first start),
    yield the launcher, and check at the end that nothing died on the way."""
    data = tmp_path_factory.mktemp(name) / "data"
    FileClock.write(data / "clock.json", start)
    launcher = SystemLauncher(
        data_dir=data,
        broker_port=free_port(),
        ports={s.name: free_port() for s in SERVICES},
        extra_env={
            "DUBAN_ARGON2_TIME_COST": "1",
            "DUBAN_ARGON2_MEMORY_COST": "1024",
            "DUBAN_DIGEST_WINDOW_SECONDS": str(digest_window_seconds),
        },
    )
    with launcher:
        assert "首次启动：已导入种子方案" in first_start(launcher)
        yield launcher
    assert launcher.check_alive() is None


def liaison_username(ledger_url: str, department_id: str) -> str:
    """The readable username (e.g. gd-rst) of a department's demo liaison, asked of the ledger:
    usernames are given at seeding, in order, so only the ledger knows them."""
    admin = LedgerClient(ledger_url)
    admin.login("admin", "admin-demo")
    users = admin.request("GET", f"/api/users?role=liaison&department_id={department_id}")
    return str(users[0]["username"])


def peek(system: SystemLauncher, store: str, query: str, *args: Any) -> list[Any]:
    """Rows read (read-only) from a service's own SQLite store: `watcher.db`, `notifier.db`."""
    with sqlite3.connect(f"file:{system.data_dir / store}?mode=ro", uri=True) as db:
        return db.execute(query, args).fetchall()


def planned_timers(system: SystemLauncher, task_id: str) -> int:
    """How many timers the watcher holds for the task."""
    ((count,),) = peek(
        system, "watcher.db", "SELECT count(*) FROM timers WHERE task_id = ?", task_id
    )
    return int(count)
