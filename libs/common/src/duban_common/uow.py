"""The unit of work every service uses: one database transaction and the events it emits.

    async with UnitOfWork(engine, tables.outbox, on_commit=relay.wake) as uow:
        await store.change_something(uow.conn, ...)
        uow.add_event(envelope)

On a clean exit the events are written to the outbox (`duban_common.outbox`) and the
transaction commits; on an exception it rolls back and nothing, events included, is stored.
After a commit that stored events, `on_commit` runs (the outbox relay's wake-up), so they are
published without waiting for the relay's next poll. A service that stores more per
transaction (the ledger's audit trail and timeline) subclasses it and extends `flush`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from duban_common import outbox
from duban_contracts import Envelope


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox_table: Table,
        *,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.outbox_table = outbox_table
        self.on_commit = on_commit
        self.envelopes: list[Envelope] = []
        self.committed = False
        self._conn: AsyncConnection | None = None
        self._transaction: AsyncTransaction | None = None

    @property
    def conn(self) -> AsyncConnection:
        """The transaction's connection (only inside `async with`)."""
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use it in `async with`")
        return self._conn

    def add_event(self, *envelopes: Envelope) -> None:
        """Events to store in the outbox with this transaction's changes."""
        self.envelopes.extend(envelopes)

    async def flush(self) -> None:
        """Write what was collected; runs just before the commit. Subclasses extend it."""
        await outbox.append(self.conn, self.outbox_table, self.envelopes)

    async def __aenter__(self) -> Self:
        self._conn = await self.engine.connect()
        try:
            self._transaction = await self._conn.begin()
        except BaseException:
            await self._conn.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._conn is not None and self._transaction is not None
        try:
            if exc is None:
                await self.flush()
                await self._transaction.commit()
                self.committed = True
            else:
                await self._transaction.rollback()
        finally:
            if self._transaction.is_active:  # flush or commit failed
                await self._transaction.rollback()
            await self._conn.close()
            self._conn = None
        if self.committed and self.envelopes and self.on_commit is not None:
            self.on_commit()
