"""The ledger's application context and its unit of work.

One `Transaction` = one database transaction carrying the state change, its outbox events,
its timeline entries and its audit records, so either all of them are stored or none.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common import outbox as outbox_lib
from duban_common.clock import Clock, SystemClock, today
from duban_common.db import DriverStatement, is_postgres, make_engine
from duban_common.telemetry import current_traceparent
from duban_contracts import Envelope, Message
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import AuditEntry, append_audit, plain
from task_ledger.domain.model import TimelineEntry
from task_ledger.settings import Settings

PRODUCER = "task-ledger"
_INSERT_TIMELINE = DriverStatement(insert(t.timeline).inline())


@dataclass
class Transaction:
    conn: AsyncConnection
    clock: Clock
    now: datetime
    envelopes: list[Envelope] = field(default_factory=list)
    audits: list[AuditEntry] = field(default_factory=list)
    timeline_rows: list[dict[str, Any]] = field(default_factory=list)
    users_changed: bool = False  # set by user changes: caches of users drop what they hold

    @property
    def today(self) -> date:
        return today(self.clock)

    def emit(self, message: Message, causation: Envelope | None = None) -> Envelope:
        traceparent, tracestate = current_traceparent()
        envelope = Envelope.wrap(
            message,
            producer=PRODUCER,
            occurred_at=self.now,
            causation=causation,
            traceparent=traceparent,
            tracestate=tracestate,
        )
        self.envelopes.append(envelope)
        return envelope

    def audit(
        self,
        actor_id: str | None,
        action: str,
        entity: str,
        entity_id: str,
        before: Any = None,
        after: Any = None,
    ) -> None:
        self.audits.append(AuditEntry(actor_id, action, entity, entity_id, before, after))

    def note(self, entry: TimelineEntry) -> None:
        self.timeline_rows.append(
            {
                "task_id": entry.task_id,
                "at": entry.at,
                "kind": entry.kind,
                "summary": entry.summary,
                "actor_id": entry.actor_id,
                "data": plain(entry.data),
                "source_event_id": entry.source_event_id,
            }
        )

    def timeline(
        self, task_id: str, kind: str, summary: str, actor_id: str | None = None, **data: Any
    ) -> None:
        self.note(TimelineEntry(task_id, self.now, kind, summary, actor_id, data))

    async def flush(self) -> None:
        if self.timeline_rows:
            await _INSERT_TIMELINE.execute(self.conn, self.timeline_rows)
            self.timeline_rows = []
        await outbox_lib.append(self.conn, t.outbox, self.envelopes)
        await append_audit(self.conn, self.audits, self.now)


class Ledger:
    """Engine, clock and settings of one running ledger; opens transactions."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = engine or make_engine(settings.database_url)
        self.postgres = is_postgres(self.engine)
        # SQLite has one writer: write transactions queue (FIFO) for a single connection of
        # their own, so a burst of readers never starves them and nothing waits on "locked".
        self.write_engine = (
            self.engine
            if self.postgres
            else make_engine(str(self.engine.url), pool_size=1, max_overflow=0, pool_timeout=300)
        )
        self.relay: outbox_lib.OutboxRelay | None = None
        # Bumped after a transaction that changed a user commits (see Transaction.users_changed).
        self.users_version = 0

    def today(self) -> date:
        return today(self.clock)

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.write_engine.begin() as conn:
            tx = Transaction(conn, self.clock, self.now())
            yield tx
            await tx.flush()
        if tx.users_changed:
            self.users_version += 1
        if tx.envelopes and self.relay is not None:
            self.relay.wake()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
