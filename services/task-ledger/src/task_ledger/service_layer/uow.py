"""The ledger's application context and its unit of work.

One `Transaction` = one database transaction carrying the state change, its outbox events,
its timeline entries and its audit records, so either all of them are stored or none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common import outbox as outbox_lib
from duban_common.clock import Clock, SystemClock, today
from duban_common.db import DriverStatement, is_postgres, make_engine
from duban_common.telemetry import current_traceparent
from duban_contracts import Envelope, Message
from task_ledger.adapters import repository as repo
from task_ledger.adapters import tables as t
from task_ledger.adapters.audit import AuditEntry, append_audit, plain
from task_ledger.domain.model import Task, TimelineEntry
from task_ledger.settings import Settings

PRODUCER = "task-ledger"
T = TypeVar("T")
# Most steps one group commit takes (a bound on how long its locks are held).
GROUP_COMMIT_MAX = 64
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
    # The tasks this transaction locked: every step of a group sees one object per task.
    tasks: dict[str, Task] = field(default_factory=dict)
    # Writes sent together before the outbox and audit rows (one executemany per statement).
    deferred: list[tuple[DriverStatement, Any]] = field(default_factory=list)

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

    async def lock_tasks(self, ids: Sequence[str]) -> None:
        for task in await repo.lock_tasks(self.conn, ids):
            self.tasks.setdefault(task.id, task)

    async def task(self, task_id: str, for_update: bool = True) -> Task | None:
        """The task, locked (for_update) and kept for the rest of the transaction."""
        found = self.tasks.get(task_id)
        if found is not None:
            return found
        task = await repo.get_task(self.conn, task_id, for_update=for_update)
        if task is not None and for_update:
            self.tasks[task_id] = task
        return task

    def defer(self, *writes: tuple[DriverStatement, Any]) -> None:
        self.deferred.extend(writes)

    async def write_deferred(self) -> None:
        """Send the deferred writes; call before reading what they change."""
        writes, self.deferred = self.deferred, []
        for statement, run in itertools.groupby(writes, key=lambda write: write[0]):
            await statement.execute(self.conn, [params for _, params in run])

    async def flush(self) -> None:
        await self.write_deferred()
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
        # Its statements are short and run on the loop's thread (one process writes: SQLite
        # serves one worker); reads stay on aiosqlite's threads.
        self.write_engine = (
            self.engine
            if self.postgres
            else make_engine(
                self.engine.url.render_as_string(hide_password=False),
                sqlite_on_loop=True,
                pool_size=1,
                max_overflow=0,
                pool_timeout=300,
            )
        )
        self.relay: outbox_lib.OutboxRelay | None = None
        self.group_commit = GroupCommit(self)
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

    async def grouped(self, key: str, step: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run `step` in a transaction it may share with concurrent steps (group commit).
        `key`: the id of the task it changes; a group locks all its tasks at once, in id
        order, and takes its steps in that order."""
        return await self.group_commit.run(key, step)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


@dataclass
class _Pending:
    key: str
    step: Callable[[Transaction], Awaitable[Any]]
    done: asyncio.Future[Any]
    trace: otel_context.Context  # the request's, so the events it emits carry its trace


class GroupCommit:
    """Concurrent steps share one transaction: one commit, one audit-chain lock, one insert per
    table for the whole group, instead of one of each per request (the hot path: progress
    reports). Steps arriving while a group commits form the next group, so a lone request
    waits for nobody. If any step fails, the group rolls back and each step runs again in a
    transaction of its own: a failure (a refused request, say) reaches only its own caller,
    and nothing of a failed step is ever stored. (A roll-up locks a parent after its child,
    out of key order; PostgreSQL then may detect a deadlock, and the steps run alone.)
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.pending: list[_Pending] = []
        self.writer: asyncio.Task[None] | None = None

    async def run(self, key: str, step: Callable[[Transaction], Awaitable[T]]) -> T:
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.pending.append(_Pending(key, step, done, otel_context.get_current()))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write(), name="group-commit")
        return await done

    async def _write(self) -> None:
        while self.pending:
            # Rows are locked in key order, so groups of two processes never deadlock; a
            # task's own steps keep their order (the sort is stable).
            group = sorted(self.pending[:GROUP_COMMIT_MAX], key=lambda item: item.key)
            del self.pending[:GROUP_COMMIT_MAX]
            try:
                if len(group) > 1 and await self._together(group):
                    continue
                for item in group:
                    await self._alone(item)
            except BaseException:  # cancelled (shutdown): no caller may wait forever
                for item in group + self.pending:
                    if not item.done.done():
                        item.done.set_exception(RuntimeError("服务正在停止，请稍后重试"))
                self.pending.clear()
                raise

    async def _together(self, group: list[_Pending]) -> bool:
        results = []
        try:
            async with self.ledger.transaction() as tx:
                await tx.lock_tasks([item.key for item in group])  # one statement for all
                for item in group:
                    results.append(await self._step(item, tx))
        except Exception:
            return False
        for item, result in zip(group, results, strict=True):
            if not item.done.done():
                item.done.set_result(result)
        return True

    async def _alone(self, item: _Pending) -> None:
        try:
            async with self.ledger.transaction() as tx:
                result = await self._step(item, tx)
        except Exception as error:
            if not item.done.done():
                item.done.set_exception(error)
        else:
            if not item.done.done():
                item.done.set_result(result)

    @staticmethod
    async def _step(item: _Pending, tx: Transaction) -> Any:
        token = otel_context.attach(item.trace)
        try:
            return await item.step(tx)
        finally:
            otel_context.detach(token)
