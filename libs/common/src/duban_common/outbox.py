"""Transactional outbox: events are written with the state change, then relayed to Kafka.

Write side: `append(conn, table, envelopes)` inside the caller's transaction (usually through
`duban_common.uow.UnitOfWork`); `outbox_row` is the one place an envelope becomes a row.
Relay: publishes unpublished rows in id order, waits for every broker ack, then marks them.
A crash between publish and mark republishes (at-least-once; consumers dedupe by event id),
but never reorders: rows are always sent in id order and one relay runs at a time (a
PostgreSQL advisory lock; SQLite has one process by construction).

Broker loss: each row records the cluster id of the broker it went to (`published_to`), and
published rows are kept for a retention window. When the relay finds itself talking to another
cluster (the embedded broker gets a fresh id on every start and keeps nothing in memory over a
restart), it requeues the rows of the window that went elsewhere, so they are published again
in id order; consumers facing the new broker start their groups from the earliest offset and
drop what they already handled (inbox). Rows older than the window are deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry import trace
from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common.db import UtcDateTime, execute_rows, is_postgres
from duban_common.logging import get_logger
from duban_common.telemetry import context_from, traceparent_of
from duban_contracts import Envelope
from duban_contracts.topics import HEADER_EVENT_TYPE

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
        # The producing request's trace context, beside the body so the relay need not read it.
        Column("traceparent", String(55), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False, server_default=func.now()),
        Column("published_at", UtcDateTime(), nullable=True),
        # The cluster id of the broker the row went to (see "Broker loss" above).
        Column("published_to", String(100), nullable=True),
        Index(f"ix_{name}_unpublished", "published_at", "id"),
    )


def add_published_to_column(table_name: str) -> None:
    """Alembic upgrade step: the published_to column of an outbox made before it existed."""
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.add_column(Column("published_to", String(100), nullable=True))


def drop_published_to_column(table_name: str) -> None:
    """Alembic downgrade step of `add_published_to_column`."""
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.drop_column("published_to")


def add_traceparent_column(table_name: str) -> None:
    """Alembic upgrade step: the traceparent column of an outbox made before it existed."""
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.add_column(Column("traceparent", String(55), nullable=True))


def drop_traceparent_column(table_name: str) -> None:
    """Alembic downgrade step of `add_traceparent_column`."""
    from alembic import op

    with op.batch_alter_table(table_name) as batch:
        batch.drop_column("traceparent")


def outbox_row(envelope: Envelope) -> dict[str, Any]:
    """An envelope as an outbox row: the one serializer of every service's outbox writes."""
    return {
        "event_id": str(envelope.event_id),
        "event_type": envelope.event_type,
        "topic": envelope.topic,
        "key": envelope.key,
        "body": envelope.to_bytes(),
        "traceparent": envelope.traceparent,
    }


async def append(conn: AsyncConnection, table: Table, envelopes: Sequence[Envelope]) -> None:
    """Write `envelopes` to the outbox inside the caller's transaction."""
    await execute_rows(conn, insert(table), [outbox_row(e) for e in envelopes])


# How often a working relay asks the broker who it is (one metadata round trip). After any
# failure it asks again before the next publish.
BROKER_CHECK_SECONDS = 5.0
DEFAULT_RETENTION_SECONDS = 86_400.0
PRUNE_EVERY_SECONDS = 600.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        broker: KafkaBroker,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
    ) -> None:
        self.engine = engine
        self.table = table
        self.broker = broker
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retention = timedelta(seconds=retention_seconds)
        self._wake = asyncio.Event()
        self._lock_id = zlib.crc32(table.name.encode())
        self._cluster: str | None = None  # the broker's cluster id, as last checked
        self._checked_at = 0.0
        self._pruned_at = 0.0

    def wake(self) -> None:
        """Call after committing new rows to publish them without waiting for the next poll."""
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish one batch. Returns how many rows were published (0 when idle or not leader).

        PostgreSQL: one transaction holding an advisory lock, so only one replica relays and
        order is kept. SQLite: read, publish, then mark in a short write transaction of its own
        (one process owns the file), so a slow broker never holds SQLite's only write lock.
        """
        try:
            return await self._relay_once()
        except BaseException:
            self._cluster = None  # not known to be requeued: check and requeue again next time
            raise

    async def _relay_once(self) -> int:
        cluster = await self._broker_changed()
        tidy = cluster is not None or time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS
        if is_postgres(self.engine):
            async with self.engine.begin() as conn:
                lock = text("SELECT pg_try_advisory_xact_lock(:k)")
                if not await conn.scalar(lock, {"k": self._lock_id}):
                    self._cluster = None  # the leader requeues; ask again when leading
                    return 0
                if tidy:
                    await self._tidy(conn, cluster)
                rows = await self._unpublished(conn)
                if rows:
                    await self._publish(rows)
                    await self._mark(conn, rows)
            return len(rows)
        if tidy:
            async with self.engine.begin() as conn:
                await self._tidy(conn, cluster)
        async with self.engine.connect() as conn:
            rows = await self._unpublished(conn)
        if not rows:
            return 0
        await self._publish(rows)  # waits for every broker ack; a crash here republishes
        async with self.engine.begin() as conn:
            await self._mark(conn, rows)
        return len(rows)

    async def _broker_changed(self) -> str | None:
        """The broker's cluster id when it is not the one last seen (or not checked since the
        process started or something failed), else None. Raises when the broker is away."""
        if self._cluster is not None and time.monotonic() - self._checked_at < BROKER_CHECK_SECONDS:
            return None
        described = await self.broker.config.admin_client.describe_cluster()
        cluster = str(described.get("cluster_id") or "")
        self._checked_at = time.monotonic()
        return None if cluster == self._cluster else cluster

    async def _tidy(self, conn: AsyncConnection, cluster: str | None) -> None:
        """Rows older than the retention window are forgotten; with a new `cluster`, the
        window's rows that went to another broker are published again."""
        t = self.table
        cutoff = datetime.now(UTC) - self.retention
        await conn.execute(
            delete(t).where(and_(t.c.published_at.is_not(None), t.c.published_at < cutoff))
        )
        self._pruned_at = time.monotonic()
        if cluster is None:
            return
        requeued = await conn.execute(
            update(t)
            .where(
                t.c.published_at.is_not(None),
                t.c.published_at >= cutoff,
                or_(t.c.published_to.is_(None), t.c.published_to != cluster),
            )
            .values(published_at=None, published_to=None)
        )
        self._cluster = cluster  # rows marked from now on went to it
        if requeued.rowcount:
            log.warning(
                "outbox_republish_after_broker_change",
                table=t.name,
                cluster=cluster,
                rows=requeued.rowcount,
            )

    async def _unpublished(self, conn: AsyncConnection) -> Sequence[Any]:
        t = self.table
        query = (
            select(t.c.id, t.c.event_type, t.c.topic, t.c.key, t.c.body, t.c.traceparent)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.id)
            .limit(self.batch_size)
        )
        return (await conn.execute(query)).all()

    async def _mark(self, conn: AsyncConnection, rows: Sequence[Any]) -> None:
        t = self.table
        await conn.execute(
            update(t)
            .where(t.c.id.in_([r.id for r in rows]))
            .values(published_at=datetime.now(UTC), published_to=self._cluster)
        )

    async def _publish(self, rows: Sequence[Any]) -> None:
        pending = []
        for row in rows:
            headers = {HEADER_EVENT_TYPE: row.event_type}
            if row.traceparent is None:
                fut = await self._send(row, headers)
            else:
                with tracer.start_as_current_span(
                    f"outbox relay {row.event_type}",
                    context=context_from(row.traceparent),
                    kind=trace.SpanKind.PRODUCER,
                ) as span:
                    headers["traceparent"] = traceparent_of(span) or row.traceparent
                    fut = await self._send(row, headers)
            if asyncio.isfuture(fut):
                pending.append(fut)
        if pending:
            await asyncio.gather(*pending)

    async def _send(self, row: Any, headers: dict[str, str]) -> Any:
        return await self.broker.publish(
            row.body, topic=row.topic, key=row.key.encode(), headers=headers, no_confirm=True
        )

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
