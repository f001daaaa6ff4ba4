"""The ledger's application context and its unit of work.

One `Transaction` = one database transaction carrying the state change, its outbox events,
its timeline entries and its audit records, so either all of them are stored or none. It is
the shared `duban_common.uow.UnitOfWork` plus what only the ledger stores.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import Executable

from duban_common import outbox as outbox_lib
from duban_common.clock import Clock, SystemClock, today
from duban_common.db import execute_rows, is_postgres, make_engine
from duban_common.telemetry import current_traceparent
from duban_common.uow import UnitOfWork
from duban_contracts import Envelope, Message
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import AuditEntry, append_audit, plain
from task_ledger.adapters.repository import auth as auth_repo
from task_ledger.domain.errors import RateLimited
from task_ledger.domain.model import Task, TimelineEntry
from task_ledger.service_layer.write_batches import Command, WriteBatches
from task_ledger.settings import Settings

PRODUCER = "task-ledger"
WRITE_CONNECTIONS = 4  # PostgreSQL; see Ledger.write_engine
T = TypeVar("T")
# A write the repository prepares: a statement and its parameters (see Transaction.defer).
Write = tuple[Executable, Any]


@dataclass(frozen=True)
class WriteCount:
    """One write counted against a user's rate limit at the commit (see count_at_commit)."""

    user_id: str
    action: str
    limit: int
    window_start: int


@dataclass(frozen=True)
class Mark:
    """How much a transaction had collected when a command began (see Transaction.undo)."""

    envelopes: int
    audits: int
    timeline_rows: int
    deferred: int
    write_counts: int


class Transaction(UnitOfWork):
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        now: datetime,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(engine, t.outbox, on_commit=on_commit)
        self.clock = clock
        self.now = now
        self.audits: list[AuditEntry] = []
        self.timeline_rows: list[dict[str, Any]] = []
        # Set by user changes and revocations: the credential epoch moves on in this
        # transaction, so every process's cache of verified sessions drops what it holds.
        self.users_changed = False
        # The tasks this transaction locked, so a second look at one finds the same object.
        self.tasks: dict[str, Task] = {}
        self.touched: set[str] = set()  # tasks looked at since the last mark
        # Writes sent together before the outbox and audit rows (one executemany per statement).
        self.deferred: list[Write] = []
        # Tasks whose changes may wait in `deferred` (with group commit, until the batch
        # commits): a command that looks at one of them again sends them first.
        self.deferred_tasks: set[str] = set()
        # Set by a write batch: rate-limited writes are counted at the commit, all in one
        # statement (`service_layer.rate_limits.count_in`); over a limit, the commit fails.
        self.count_at_commit = False
        self.write_counts: list[WriteCount] = []

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
        self.add_event(envelope)
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

    async def task(self, task_id: str, for_update: bool = True) -> Task | None:
        """The task, locked (for_update) and kept for the rest of the transaction."""
        self.touched.add(task_id)
        if task_id in self.deferred_tasks:
            await self.write_deferred()  # what it reads next must include them
        found = self.tasks.get(task_id)
        if found is not None:
            return found
        task = await repo.get_task(self.conn, task_id, for_update=for_update)
        if task is not None and for_update:
            self.tasks[task_id] = task
        return task

    async def lock_tasks(self, task_ids: list[str]) -> None:
        """Lock and keep, in one statement, those of `task_ids` not kept yet: a batch does
        this for the tasks of the commands waiting for their turn (see write_batches). Never
        one whose writes are deferred: those must be sent first (`task` does)."""
        kept = self.tasks.keys() | self.deferred_tasks
        wanted = [i for i in dict.fromkeys(task_ids) if i not in kept]
        if wanted:
            for task in await repo.lock_tasks(self.conn, wanted):
                self.tasks[task.id] = task

    def mark(self) -> Mark:
        """Where a command of a shared transaction begins (see service_layer/write_batches)."""
        self.touched = set()
        return Mark(
            len(self.envelopes),
            len(self.audits),
            len(self.timeline_rows),
            len(self.deferred),
            len(self.write_counts),
        )

    def undo(self, mark: Mark) -> None:
        """Forget what a command collected since `mark`, when none of it was written: its
        rows and events, and the tasks it looked at (it may have changed them in memory; the
        next look reads them again, with what earlier commands wrote)."""
        del self.envelopes[mark.envelopes :]
        del self.audits[mark.audits :]
        del self.timeline_rows[mark.timeline_rows :]
        del self.deferred[mark.deferred :]
        del self.write_counts[mark.write_counts :]
        for task_id in self.touched:
            self.tasks.pop(task_id, None)

    def defer(self, *writes: Write) -> None:
        self.deferred.extend(writes)

    async def write_deferred(self) -> None:
        """Send the deferred writes, one executemany per statement in the order each statement
        was first deferred (a row's dependencies are deferred before it); call before reading
        what they change."""
        writes, self.deferred, self.deferred_tasks = self.deferred, [], set()
        by_statement: dict[int, tuple[Executable, list[Any]]] = {}
        for statement, params in writes:
            by_statement.setdefault(id(statement), (statement, []))[1].append(params)
        for statement, rows in by_statement.values():
            await execute_rows(self.conn, statement, rows)

    async def flush(self) -> None:
        await self._count_writes()
        await self.write_deferred()
        await execute_rows(self.conn, insert(t.timeline), self.timeline_rows)
        self.timeline_rows = []
        if self.users_changed:
            await auth_repo.bump_credential_epoch(self.conn)
        await super().flush()
        await append_audit(self.conn, self.audits, self.now)

    async def _count_writes(self) -> None:
        """The writes counted at the commit, per user and kind in the latest window among
        them; RateLimited (the batch then runs again on the plain path, where each write is
        counted and refused on its own) when one of them is over its limit."""
        if not self.write_counts:
            return
        added = Counter((c.user_id, c.action) for c in self.write_counts)
        limits = {(c.user_id, c.action): c.limit for c in self.write_counts}
        window = max(c.window_start for c in self.write_counts)
        self.write_counts = []
        counts = await repo.count_writes(self.conn, dict(added), window)
        if any(counts[key] > limit for key, limit in limits.items()):
            raise RateLimited("操作过于频繁", 1)


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
        # Readers and writers together stay within 20 connections per process (the connection
        # budget in docs/scaling.md counts on it). All of the readers' share is pooled: an
        # overflow connection is opened for one request and closed after it, which cost a
        # page read more CPU than its queries when more than 10 ran at once.
        self.engine = engine or make_engine(
            settings.database_url, pool_size=20 - WRITE_CONNECTIONS, max_overflow=0
        )
        self.postgres = is_postgres(self.engine)
        # Write transactions queue (FIFO) for connections of their own, so a burst of readers
        # never starves them. SQLite has one writer: one connection. On PostgreSQL every write
        # transaction takes the audit trail's lock (adapters/audit.py), so more writers at once
        # would only wait there, each holding a connection the pool had to open for it.
        self.write_engine = make_engine(
            self.engine.url.render_as_string(hide_password=False),
            pool_size=WRITE_CONNECTIONS if self.postgres else 1,
            max_overflow=0,
            pool_timeout=300,
        )
        self.relay: outbox_lib.OutboxRelay | None = None
        # Bumped after a transaction that changed a user commits (see Transaction.users_changed).
        self.users_version = 0
        # The group-commit accelerator (service_layer/write_batches.py); None: the plain path.
        self.batches = WriteBatches(self) if settings.write_batching else None

    def today(self) -> date:
        return today(self.clock)

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    def new_transaction(self) -> Transaction:
        return Transaction(self.write_engine, self.clock, self.now(), self._wake)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.new_transaction() as tx:
            yield tx
        self.committed(tx)

    def committed(self, tx: Transaction) -> None:
        """After `tx` committed."""
        if tx.users_changed:
            self.users_version += 1

    async def write(self, command: Command[T], *, task_id: str | None = None) -> T:
        """Run a re-runnable write command: in a batch sharing a transaction with others when
        the group-commit accelerator is on, else in a transaction of its own."""
        if self.batches is not None:
            return await self.batches.run(command, task_id)
        return await self.write_alone(command)

    async def write_alone(self, command: Command[T]) -> T:
        """The plain path: `command` in a transaction of its own (the reference)."""
        async with self.transaction() as tx:
            return await command(tx)

    def _wake(self) -> None:
        if self.relay is not None:
            self.relay.wake()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
        await self.write_engine.dispose()
