"""Transactional outbox: events are written with the state change, then relayed to Kafka.

Write side: `append(conn, table, envelopes)` inside the caller's transaction.
Relay: publishes unpublished rows in id order, waits for every broker ack, then marks them.
A crash between publish and mark republishes (at-least-once; consumers dedupe by event id),
but never reorders: rows are always sent in id order and one relay runs at a time (a
PostgreSQL advisory lock; SQLite has one process by construction).
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream.kafka import KafkaBroker
from opentelemetry import trace
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common.db import is_postgres
from duban_common.kafka import record_headers
from duban_common.logging import get_logger
from duban_common.telemetry import context_from
from duban_contracts import Envelope

log = get_logger(__name__)
tracer = trace.get_tracer("duban.outbox")


def outbox_table(metadata: MetaData, name: str = "outbox") -> Table:
    return Table(
        name,
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("key", String(64), nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index(f"ix_{name}_unpublished", "published_at", "id"),
    )


async def append(conn: AsyncConnection, table: Table, envelopes: Sequence[Envelope]) -> None:
    if not envelopes:
        return
    await conn.execute(
        insert(table),
        [
            {
                "event_id": str(e.event_id),
                "event_type": e.event_type,
                "topic": e.topic,
                "key": e.key,
                "body": e.to_bytes(),
            }
            for e in envelopes
        ],
    )


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        broker: KafkaBroker,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
    ) -> None:
        self.engine = engine
        self.table = table
        self.broker = broker
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._lock_id = zlib.crc32(table.name.encode())

    def wake(self) -> None:
        """Call after committing new rows to publish them without waiting for the next poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch. Returns how many rows were published (0 when idle or not leader)."""
        t = self.table
        async with self.engine.begin() as conn:
            if is_postgres(self.engine):
                got = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_id}
                )
                if not got:
                    return 0
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
            await self._publish(rows)
            await conn.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]))
                .values(published_at=datetime.now(UTC))
            )
        return len(rows)

    async def _publish(self, rows: Sequence[object]) -> None:
        pending = []
        for row in rows:
            envelope = Envelope.from_bytes(row.body)  # type: ignore[attr-defined]
            parent = context_from(envelope.traceparent, envelope.tracestate)
            with tracer.start_as_current_span(
                f"outbox relay {envelope.event_type}",
                context=parent,
                kind=trace.SpanKind.PRODUCER,
            ) as span:
                headers = record_headers(envelope)
                ctx = span.get_span_context()
                if ctx.is_valid:
                    headers["traceparent"] = (
                        f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
                    )
                fut = await self.broker.publish(
                    row.body,  # type: ignore[attr-defined]
                    topic=row.topic,  # type: ignore[attr-defined]
                    key=row.key.encode(),  # type: ignore[attr-defined]
                    headers=headers,
                    no_confirm=True,
                )
            if asyncio.isfuture(fut):
                pending.append(fut)
        if pending:
            await asyncio.gather(*pending)

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set. Broker or database errors back off and retry."""
        backoff = self.poll_interval
        while not stop.is_set():
            try:
                n = await self.relay_once()
                backoff = self.poll_interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox_relay_failed", error=repr(exc))
                n = 0
                backoff = min(backoff * 2, 10.0)
            if n >= self.batch_size:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def pending_count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                await conn.scalar(
                    select(func.count())
                    .select_from(self.table)
                    .where(self.table.c.published_at.is_(None))
                )
                or 0
            )
