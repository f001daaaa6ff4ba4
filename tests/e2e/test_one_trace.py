"""One escalation is one trace: the HTTP request that changed the task, the ledger's outbox
relay, the watcher's consumer and timer, the notifier's consumer and delivery, and the
delivery receipt back to the ledger all share the request's trace id.

The three services run in this process (so one in-memory exporter sees every span), on their
own embedded broker and SQLite stores, with one manual clock.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import func, select

from deadline_watcher.adapters.tables import timers
from deadline_watcher.bootstrap import MIGRATIONS as WATCHER_MIGRATIONS
from deadline_watcher.bootstrap import WatcherService
from deadline_watcher.settings import Settings as WatcherSettings
from duban_common.clock import CHINA, ManualClock
from duban_common.embedded_broker import EmbeddedBroker
from duban_common.migrations import upgrade
from duban_common.telemetry import setup_tracing
from duban_common.testing.polling import eventually
from notifier.bootstrap import NotifierService
from notifier.settings import Settings as NotifierSettings
from task_ledger.entrypoints.http import create_app
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings as LedgerSettings

pytestmark = pytest.mark.e2e

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_9108b65ab0af5f8f.txt"
TRACE_ID = uuid.uuid4().hex


async def test_one_escalation_is_one_trace(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    setup_tracing("duban-e2e", extra=SimpleSpanProcessor(exporter))
    clock = ManualClock(datetime(2025, 12, 1, 9, 30, tzinfo=CHINA))
    run = uuid.uuid4().hex[:8]
    with EmbeddedBroker() as broker:
        common = {"kafka_bootstrap_servers": broker.bootstrap_servers, "environment": "test"}
        ledger_settings = LedgerSettings(
            **common,
            database_url=f"sqlite:///{tmp_path / 'ledger.db'}",
            upload_dir=str(tmp_path / "uploads"),
            argon2_time_cost=1,
            argon2_memory_cost=1024,
            consumer_group=f"ledger-{run}",
        )
        watcher_settings = WatcherSettings(
            **common,
            database_url=f"sqlite:///{tmp_path / 'watcher.db'}",
            http_port=0,
            consumer_group=f"watcher-{run}",
        )
        notifier_settings = NotifierSettings(
            **common,
            database_url=f"sqlite:///{tmp_path / 'notifier.db'}",
            http_port=0,
            maildir=str(tmp_path / "mail"),
            consumer_group=f"notifier-{run}",
        )
        await asyncio.to_thread(upgrade, watcher_settings.database_url, WATCHER_MIGRATIONS)
        watcher = WatcherService(watcher_settings, clock=clock)
        notifier = NotifierService(notifier_settings, clock=clock)
        ledger = Ledger(ledger_settings, clock)
        app = create_app(ledger_settings, ledger=ledger, background=True)
        async with app.router.lifespan_context(app), notifier:
            await watcher.start()
            try:
                await watcher.wait_consuming()
                await _scenario(app, watcher, clock, exporter)
            finally:
                await watcher.stop()


async def _scenario(app, watcher: WatcherService, clock: ManualClock, exporter) -> None:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ledger"
    ) as client:
        r = await client.post(
            "/api/auth/login", json={"username": "supervisor", "password": "supervisor-demo"}
        )
        sup = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await client.post(
            "/api/imports",
            headers=sup,
            files={"file": (SEED.name, SEED.read_bytes(), "text/plain")},
        )
        await client.post(f"/api/imports/{r.json()['import_id']}/confirm", headers=sup)
        task = (await client.get("/api/tasks", params={"page_size": 1}, headers=sup)).json()
        tid = task["items"][0]["id"]

        # The change: a supervisor dispatches the task, in a trace of our own.
        r = await client.post(
            f"/api/tasks/{tid}/dispatch",
            headers={**sup, "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
        assert r.status_code == 200, r.text

        async def planned() -> bool:
            async with watcher.ctx.engine.connect() as conn:
                n = await conn.scalar(
                    select(func.count()).select_from(timers).where(timers.c.task_id == tid)
                )
            return bool(n)

        await eventually(planned, 90, "the watcher planned the task's timers", 0.3)
        # Past the due date (2025-12-31): the ladder fires, the notifier delivers.
        clock.set(datetime(2026, 1, 9, 10, 0, tzinfo=CHINA))
        watcher.scheduler.wake()

        async def receipt_on_timeline() -> bool:
            # The escalation's receipt: the dispatch's own (telling the liaisons) came first.
            r = await client.get(f"/api/tasks/{tid}/timeline", headers=sup)
            return any(
                e["kind"] == "delivered" and datetime.fromisoformat(e["at"]) >= clock.now()
                for e in r.json()
            )

        await eventually(
            receipt_on_timeline, 90, "a delivery receipt reached the ledger's timeline", 0.3
        )

    spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == int(TRACE_ID, 16)]
    names = {s.name for s in spans}
    assert "POST /api/tasks/{task_id}/dispatch" in names  # the HTTP request
    assert "outbox relay task.dispatched" in names  # the ledger's relay
    assert any(n.startswith("timer fired escalation") for n in names), names  # the watcher
    assert "outbox relay escalation.raised" in names
    assert any(n.startswith("deliver ") for n in names), names  # the notifier's delivery
    assert "outbox relay notification.sent" in names
    # Consumers on both sides joined the same trace through the Kafka headers.
    consumed = {s.name for s in spans if s.kind.name == "CONSUMER"}
    assert {"duban.task.events process", "duban.supervision.events process"} <= consumed
