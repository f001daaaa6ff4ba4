"""`python -m deadline_watcher` as a real process: kill -9 just before a due time, an hour of
downtime, restart: the reminder is said exactly once, marked late; Ctrl-C stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from deadline_watcher.adapters.db import make_watcher_engine
from deadline_watcher.adapters.tables import timers
from duban_common.clock import CHINA, FileClock
from duban_common.embedded_broker import free_port
from duban_common.kafka import make_broker, publish_envelope
from duban_common.testing.polling import eventually
from duban_contracts import Envelope
from duban_contracts.events import ReminderDue, TaskRegistered
from duban_contracts.topics import SUPERVISION_EVENTS
from duban_contracts.vocabulary import TaskStatus

from .conftest import settings_for
from .kafka_helpers import TopicReader

pytestmark = pytest.mark.integration

DUE = date(2025, 10, 10)
REMINDER_AT = datetime(2025, 10, 9, 9, 0, tzinfo=CHINA)  # 1 working day before


class WatcherProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "deadline_watcher"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float = 60) -> None:
        url = f"http://127.0.0.1:{self.env['DUBAN_HTTP_PORT']}/health/ready"
        async with httpx.AsyncClient() as client:

            async def consuming() -> bool:
                assert self.proc and self.proc.poll() is None, self.log.read_text()[-3000:]
                try:
                    return bool((await client.get(url)).json()["checks"]["consuming"])
                except httpx.TransportError:
                    return False

            await eventually(consuming, timeout, "the watcher consuming", interval=0.2)

    def kill(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(30)


@pytest.fixture
def watcher_env(db_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "DUBAN_DATABASE_URL": db_url,
        "DUBAN_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "DUBAN_CONSUMER_GROUP": f"watcher-{uuid.uuid4().hex[:8]}",
        "DUBAN_CONSUMER_MAX_ATTEMPTS": "2",
        "DUBAN_HTTP_PORT": str(free_port()),
        "DUBAN_CLOCK_FILE": str(tmp_path / "clock.json"),
        "DUBAN_SCHEDULER_POLL_SECONDS": "0.1",
        "DUBAN_LOG_JSON": "true",
        "DUBAN_ENVIRONMENT": "test",
        # No 蓝 here: the reminder is the only event about the task.
        "DUBAN_REMINDER_POLICY": '{"blue_before": null}',
    }
    yield env


async def _pending_reminder(url: str, task_id: str) -> list[object]:
    engine = make_watcher_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(timers.c.fire_at, timers.c.fired_at).where(
                    timers.c.task_id == task_id, timers.c.kind == "before_due"
                )
            )
            return list(rows)
    finally:
        await engine.dispose()


async def test_kill_9_before_due_then_an_hour_down_fires_once_late(
    watcher_env: dict[str, str], db_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    clock_file = watcher_env["DUBAN_CLOCK_FILE"]
    FileClock.write(clock_file, datetime(2025, 10, 9, 8, 0, tzinfo=CHINA))
    watcher = WatcherProcess(watcher_env, tmp_path / "watcher.log")
    reader = await TopicReader(kafka_bootstrap, SUPERVISION_EVENTS.name).start()
    publisher = make_broker(settings_for(db_url, kafka_bootstrap_servers=kafka_bootstrap))
    await publisher.start()
    task_id = f"kill9-{uuid.uuid4().hex[:8]}"
    try:
        watcher.start()
        await watcher.wait_ready()
        registered = TaskRegistered(
            task_id=task_id,
            plan_id="plan-k",
            plan_title="稳就业行动方案",
            measure_id="m-1",
            title="开展劳务品牌调查摸底",
            lead_department_ids=("hrss",),
            due_on=DUE,
            status=TaskStatus.DISPATCHED,
        )
        await publish_envelope(publisher, Envelope.wrap(registered, producer="task-ledger"))
        await eventually(lambda: _pending_reminder(db_url, task_id), what="a pending reminder")

        # Two seconds before the reminder is due: kill -9.
        FileClock.write(clock_file, datetime(2025, 10, 9, 8, 59, 58, tzinfo=CHINA))
        await asyncio.sleep(0.3)
        assert watcher.kill(signal.SIGKILL) == -signal.SIGKILL
        [(fire_at, fired_at)] = await _pending_reminder(db_url, task_id)
        assert fire_at == REMINDER_AT and fired_at is None  # killed before it was due

        # An hour of downtime, then a restart. The timer fires without waiting for the
        # consumer group, which first has to give up on the killed member.
        FileClock.write(clock_file, datetime(2025, 10, 9, 10, 0, tzinfo=CHINA))
        watcher.start()
        about_task = lambda r: r.key == task_id.encode()  # noqa: E731
        await reader.wait_for(about_task)
        await asyncio.sleep(1.5)  # room for a duplicate, had there been one
        reminders = [
            (Envelope.from_bytes(r.value), Envelope.from_bytes(r.value).open())
            for r in reader.records
            if about_task(r)
        ]
        reminders = [(e, m) for e, m in reminders if isinstance(m, ReminderDue)]
        assert len({e.event_id for e, _ in reminders}) == 1
        _, reminder = reminders[0]
        assert reminder.kind.value == "before_due" and reminder.working_days_left == 1
        assert reminder.late is True and reminder.scheduled_for == REMINDER_AT
        [(_, fired_at)] = await _pending_reminder(db_url, task_id)
        assert fired_at is not None

        # Ctrl-C: a clean stop.
        assert watcher.kill(signal.SIGINT) == 0
        assert '"watcher_stopped"' in (tmp_path / "watcher.log").read_text()
    finally:
        if watcher.proc and watcher.proc.poll() is None:
            watcher.proc.kill()
            watcher.proc.wait()
        await reader.stop()
        await publisher.stop()
