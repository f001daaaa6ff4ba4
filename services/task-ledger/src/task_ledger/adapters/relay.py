"""The outbox relay as the service runs it.

PostgreSQL: the shared `OutboxRelay` unchanged (its advisory lock needs the transaction).
SQLite: the batch is read, published, and only then marked in a short write transaction of
its own, so a slow or absent broker never holds SQLite's single write lock and the API keeps
accepting changes during a Kafka outage. One process owns a SQLite file, so one relay runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from faststream.kafka import KafkaBroker
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.db import is_postgres
from duban_common.outbox import OutboxRelay


class LedgerOutboxRelay(OutboxRelay):
    def __init__(
        self,
        read_engine: AsyncEngine,
        write_engine: AsyncEngine,
        table: Table,
        broker: KafkaBroker,
        **kwargs: Any,
    ) -> None:
        super().__init__(write_engine, table, broker, **kwargs)
        self.read_engine = read_engine

    async def relay_once(self) -> int:
        if is_postgres(self.engine):
            return await super().relay_once()
        t = self.table
        async with self.read_engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(t.c.id, t.c.topic, t.c.key, t.c.body)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        await self._publish(rows)  # waits for every broker ack; a crash here republishes
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]))
                .values(published_at=datetime.now(UTC))
            )
        return len(rows)
