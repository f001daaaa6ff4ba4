"""Group commit for the hot write commands: the accelerator behind `DUBAN_WRITE_BATCHING`.

The plain path (`Ledger.write` with the setting off, the default and the reference) gives
every command a transaction of its own: BEGIN, its statements, the timeline, outbox and audit
rows, the audit trail's lock, COMMIT — about eleven statements for a progress report, with
every writer queueing for the audit lock.

Batched, commands that arrive while others are running share one transaction:

- Each command still runs in its own request task (its trace, its log context), one at a
  time on the shared connection, in arrival order. Its row writes (the report, the task)
  wait for the commit with the timeline, outbox and audit rows, and go out as one statement
  per kind for the whole batch. A command names the task it is about (`Ledger.write(...,
  task_id=)`): when an earlier command of the batch changed that task, those writes are sent
  before its turn, so it reads what they wrote (`Transaction.task` sends them too, for any
  other task a command looks at).
- The command that finds nobody waiting behind it (or fills the batch) commits for all; the
  others wait for that commit and then return their results.
- The first command of a batch to run locks its task and those of the commands waiting
  behind it in one statement; rate-limited writes are counted at the commit, one statement
  for the batch (`rate_limits.count_in`): a report in a batch sends no statement of its own
  unless its task arrived after the batch locked the others.
- A command that fails before it wrote anything fails alone: what it collected is dropped,
  the tasks it loaded are read again by the next command. A command that fails after writing
  (a roll-up sent), or a commit that fails (a user over a rate limit among them), abandons the
  batch: it rolls back and every command of it runs again on the plain path, each in a
  transaction of its own (where the writes over the limit are refused one by one), so one
  command's trouble never becomes another's error and nothing is half-written.

Only commands written as `Command` callables (re-runnable, nothing committed before they
return) can be batched; `report_progress` is one. Figures: docs/scaling.md, "Group commit".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

from duban_common.logging import get_logger

if TYPE_CHECKING:
    from task_ledger.service_layer.uow import Ledger, Transaction

log = get_logger(__name__)
T = TypeVar("T")
Command = Callable[["Transaction"], Awaitable[T]]

MAX_COMMANDS = 64  # per batch: bounds how long the first command waits for its commit
BATCH_LOCK_KEY = 0x62617463  # "batc"
_BATCH_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


class _Abandoned(Exception):
    """The batch rolled back: its commands run again on the plain path."""


class _Batch:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.tx: Transaction | None = None
        self.turn = asyncio.Lock()
        self.waiting = 0  # commands queued for the turn
        self.applied = 0  # commands whose work is in the transaction
        self.closed = False  # takes no new commands (committing, committed or abandoned)
        self.abandoned = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.upcoming: list[str] = []  # the tasks of the commands waiting for their turn
        self._writes = 0  # statements other than SELECT sent on the connection

    async def apply(self, command: Command[T], task_id: str | None) -> T:
        """Run one command in the shared transaction (the caller holds the turn). Earlier
        commands' writes to its task are sent first, so that what it reads includes them and
        they never count as its own (a command that fails before writing fails alone)."""
        tx = self.tx or await self._begin()
        if task_id in tx.deferred_tasks:
            await tx.write_deferred()
        tx.now = self.ledger.now()
        mark, writes = tx.mark(), self._writes
        try:
            if task_id is not None and task_id not in tx.tasks:
                # Its task and those of the commands behind it, in one statement.
                await tx.lock_tasks([task_id, *self.upcoming[:MAX_COMMANDS]])
            result = await command(tx)
        except Exception as error:
            if self._writes == writes and not isinstance(error, SQLAlchemyError):
                tx.undo(mark)  # nothing of it reached the database: it fails alone
                raise
            await self.abandon()  # its writes (or a failed statement) are in the transaction
            raise _Abandoned() from error
        except BaseException:  # cancelled mid-statement: the connection's state is unknown
            await asyncio.shield(self.abandon())
            raise
        tx.deferred_tasks |= tx.touched
        self.applied += 1
        return result

    async def _begin(self) -> Transaction:
        tx = self.ledger.new_transaction()
        tx.count_at_commit = True
        await tx.__aenter__()
        if self.ledger.postgres:
            # One batch at a time across processes: two workers' batches would otherwise lock
            # tasks in their own arrival orders and deadlock each other. (Batches side by side
            # without deadlocks were measured and not kept: docs/scaling.md, "Tried and not
            # kept".)
            try:
                await tx.conn.execute(_BATCH_LOCK, {"k": BATCH_LOCK_KEY})
            except BaseException as error:
                await asyncio.shield(tx.__aexit__(type(error), error, error.__traceback__))
                raise
        event.listen(tx.conn.sync_connection, "before_cursor_execute", self._count_write)
        self.tx = tx
        return tx

    def _count_write(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            self._writes += 1

    async def commit(self) -> None:
        """Commit what the batch's commands did; _Abandoned when that fails (rolled back)."""
        self.closed = True
        tx, self.tx = self.tx, None
        if tx is None:
            self._finish(None)
            return
        self._stop_counting(tx)
        try:
            await tx.__aexit__(None, None, None)
        except Exception as error:
            self.abandoned = True
            log.warning("write_batch_commit_failed", commands=self.applied, error=repr(error))
            self._finish(_Abandoned())
            raise _Abandoned() from error
        self.ledger.committed(tx)
        self._finish(None)

    async def abandon(self) -> None:
        """Roll back; the commands that were in the batch run again on the plain path."""
        self.closed = self.abandoned = True
        tx, self.tx = self.tx, None
        try:
            if tx is not None:
                self._stop_counting(tx)
                await tx.__aexit__(_Abandoned, _Abandoned(), None)
        finally:
            self._finish(_Abandoned())

    def _stop_counting(self, tx: Transaction) -> None:
        event.remove(tx.conn.sync_connection, "before_cursor_execute", self._count_write)

    def _finish(self, error: BaseException | None) -> None:
        if self.done.done():
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)
            self.done.exception()  # marked as retrieved: a batch nobody waits on logs nothing


class _Closed(Exception):
    """The batch committed while the command waited for its turn: it joins the next one."""


class WriteBatches:
    """Batches of commands sharing a transaction. One batch at a time runs commands (the open
    one); older ones only finish committing, so batches never wait on each other's locks."""

    def __init__(self, ledger: Ledger, max_commands: int = MAX_COMMANDS) -> None:
        self.ledger = ledger
        self.max_commands = max_commands
        self._open: _Batch | None = None
        self._idle_commits: set[asyncio.Task[None]] = set()

    async def run(self, command: Command[T], task_id: str | None = None) -> T:
        while True:
            batch = self._open
            if batch is None or batch.closed:
                batch = self._open = _Batch(self.ledger)
            try:
                return await self._in_batch(batch, command, task_id)
            except _Closed:
                continue
            except _Abandoned:
                return await self.ledger.write_alone(command)

    async def _in_batch(self, batch: _Batch, command: Command[T], task_id: str | None) -> T:
        try:
            await self._take_turn(batch, task_id)
        except BaseException:
            self._left_waiting(batch)
            raise
        try:
            if batch.abandoned:
                raise _Abandoned()
            if batch.closed:
                raise _Closed()
            try:
                result = await batch.apply(command, task_id)
            finally:
                if not batch.closed and (batch.waiting == 0 or batch.applied >= self.max_commands):
                    await self._commit(batch)
        finally:
            batch.turn.release()
        await asyncio.shield(batch.done)  # _Abandoned when the commit failed
        return result

    async def _take_turn(self, batch: _Batch, task_id: str | None) -> None:
        batch.waiting += 1
        if task_id is not None:
            batch.upcoming.append(task_id)
        try:
            await batch.turn.acquire()
        finally:  # its turn came, or it was cancelled while waiting
            batch.waiting -= 1
            if task_id is not None:
                batch.upcoming.remove(task_id)

    def _left_waiting(self, batch: _Batch) -> None:
        """A command cancelled while waiting for its turn: if nobody else waits and nobody runs,
        the batch still has to commit for the commands already in it."""
        if not batch.waiting and not batch.closed and not batch.turn.locked():
            task = asyncio.create_task(self._commit_when_idle(batch))
            self._idle_commits.add(task)
            task.add_done_callback(self._idle_commits.discard)

    async def _commit_when_idle(self, batch: _Batch) -> None:
        async with batch.turn:
            if not batch.closed and not batch.waiting:
                await self._commit(batch)

    async def _commit(self, batch: _Batch) -> None:
        """Commit for every command of the batch (shielded: a cancelled request does not
        cancel the others' commit); a failure reaches each of them through `batch.done`."""
        if self._open is batch:
            self._open = None
        with contextlib.suppress(_Abandoned):
            await asyncio.shield(batch.commit())
