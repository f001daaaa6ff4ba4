"""Batch consumers: many events per transaction, still at-least-once and poison-proof.

`batch_subscriber` registers a FastStream batch subscriber with manual acks. Each batch goes
to `handle_records`: records that are not envelopes (or tombstones) are dead-lettered at once;
the rest are handled together (one transaction, in the service's `handle`). If that fails for
any reason but an unreachable database, each event is tried alone with retries, and only one
that keeps failing is dead-lettered. Anything that escapes (the database or the broker away)
rewinds the whole batch: the next ack commits the consumer's position, so returning without a
rewind would skip the batch. Offsets are committed only after the batch is stored, so handlers
must be idempotent per event (an inbox claim).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from sqlalchemy.exc import InterfaceError, OperationalError

from duban_common.kafka import dead_letter, declared_event_type
from duban_common.logging import get_logger
from duban_common.settings import ServiceSettings
from duban_common.telemetry import context_from
from duban_contracts import ContractError, Envelope, Message

log = get_logger(__name__)
tracer = trace.get_tracer("duban.consumer")

# Errors that mean "the database is unreachable", not "this record is bad": rewind the batch.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

DeadLetter = Callable[[bytes, bytes | None, str, str], Awaitable[None]]


@dataclass(frozen=True)
class Inbound:
    """One consumed event. `topic` and `traceparent` come from its Kafka record (if any)."""

    envelope: Envelope
    message: Message
    topic: str | None = None
    traceparent: str | None = None
    record: Any = None


BatchHandler = Callable[[list[Inbound]], Awaitable[object]]


def batch_subscriber(
    broker: KafkaBroker,
    *topics: str,
    group_id: str,
    handle: BatchHandler,
    settings: ServiceSettings,
    accept: Callable[[str], bool],
    max_records: int,
    batch_timeout_ms: int,
    **subscriber_kwargs: Any,
) -> Any:
    """Subscribe `handle(events)` to `topics`, a batch at a time (see the module docstring)."""

    async def to_dead_letter(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
        await dead_letter(broker, raw, key, reason, source)

    async def consume(msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        try:
            await handle_records(records, handle, settings, to_dead_letter, accept)
        except Exception as exc:
            log.warning("inbound_batch_retry_later", error=repr(exc), records=len(records))
            await msg.nack()  # rewinds every partition of the batch to its first record
            await asyncio.sleep(settings.consumer_retry_base_seconds * 10)
            return
        await msg.ack()

    consume.__name__ = f"consume_{group_id}_batches".replace("-", "_")
    return broker.subscriber(
        *topics,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=batch_timeout_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_keep_raw,
        **subscriber_kwargs,
    )(consume)


async def handle_records(
    records: Sequence[Any],
    handle: BatchHandler,
    settings: ServiceSettings,
    to_dead_letter: DeadLetter,
    accept: Callable[[str], bool],
) -> None:
    """Handle a batch of Kafka records; returns once each is stored or dead-lettered.

    Raises when the database (TRANSIENT) or the broker is unreachable: the caller rewinds.
    """
    events: list[Inbound] = []
    for rec in records:
        if not isinstance(rec.value, bytes):  # a tombstone: there is no envelope to read
            await to_dead_letter(b"", rec.key, "无法解析的消息：空消息（无消息体）", _source(rec))
            continue
        declared = declared_event_type(rec)
        if declared is not None and not accept(declared):
            continue  # not parsed at all: most of a shared topic is other services' business
        try:
            envelope = Envelope.from_bytes(rec.value)
            if not accept(envelope.event_type):
                continue
            events.append(
                Inbound(envelope, envelope.open(), rec.topic, _traceparent(rec), record=rec)
            )
        except ContractError as exc:
            reason = f"无法解析的消息：{exc}"
            await to_dead_letter(rec.value, rec.key, reason, _source(rec))
    if not events:
        return
    try:
        await handle(events)
        return
    except TRANSIENT:
        raise
    except Exception as exc:
        log.warning("inbound_batch_failed_splitting", error=repr(exc), records=len(events))
    for event in events:  # find the poison event(s); the others still go in
        await _handle_alone(event, handle, settings, to_dead_letter)


async def _handle_alone(
    event: Inbound, handle: BatchHandler, settings: ServiceSettings, to_dead_letter: DeadLetter
) -> None:
    attempts, rec = settings.consumer_max_attempts, event.record
    for attempt in range(1, attempts + 1):
        try:
            await handle([event])
            return
        except TRANSIENT:
            raise
        except Exception as exc:
            if attempt == attempts:
                reason = f"处理失败（已重试{attempts}次）：{type(exc).__name__}: {exc}"
                await to_dead_letter(rec.value, rec.key, reason, _source(rec))
                return
            log.warning("handler_retry", attempt=attempt, error=repr(exc), source=_source(rec))
            await asyncio.sleep(settings.consumer_retry_base_seconds * 2 ** (attempt - 1))


@contextlib.contextmanager
def consumer_span(event: Inbound) -> Iterator[None]:
    """One event of a batch continues the trace its record carries, as a single-record
    consumer would, so what handling it causes (events, timers) belongs to that trace."""
    if event.traceparent is None:
        yield
        return
    with tracer.start_as_current_span(
        f"{event.topic} process",
        context=context_from(event.traceparent),
        kind=trace.SpanKind.CONSUMER,
    ):
        yield


async def _keep_raw(msg: Any) -> None:
    """The handler reads the raw records itself (envelopes are validated there), so the
    framework's per-record decoding of the batch is skipped."""
    return None


def _traceparent(rec: Any) -> str | None:
    for key, value in getattr(rec, "headers", None) or ():
        if key == "traceparent" and value:
            return bytes(value).decode()
    return None


def _source(rec: Any) -> str:
    return f"{rec.topic}:{rec.partition}:{rec.offset}"
