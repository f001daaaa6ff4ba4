"""The notifier's Kafka side: one batched at-least-once subscriber over every topic it reads.

A batch of records is handled in one transaction and its offsets are committed only after
that commit (manual ack). A record that cannot be parsed goes to the dead-letter topic; if
the batch fails, its events are retried one by one, so only the one whose handling keeps
failing is dead-lettered and the partition moves on. A database that cannot be reached
rewinds the batch (nack) to be read again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.exc import InterfaceError, OperationalError

from duban_common.clock import clock_from_file_setting
from duban_common.db import make_engine
from duban_common.kafka import dead_letter, make_broker
from duban_common.logging import get_logger
from duban_contracts import Envelope
from duban_contracts.events import NotificationFailed, NotificationSent
from duban_contracts.topics import (
    COMMANDS,
    DEAD_LETTER,
    DIRECTORY_EVENTS,
    NOTIFICATION_EVENTS,
    SUPERVISION_EVENTS,
    TASK_EVENTS,
)
from notifier.service_layer.handlers import EventHandler, Inbound, accepts
from notifier.settings import Settings

consumes = accepts  # the event types the subscriber reads (the AsyncAPI document lists them)

log = get_logger(__name__)

INBOUND_TOPICS = (
    SUPERVISION_EVENTS.name,
    TASK_EVENTS.name,
    COMMANDS.name,
    DIRECTORY_EVENTS.name,
)
# Errors that mean "the database is unreachable", not "this record is bad": retry the batch.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

DeadLetter = Callable[[bytes, bytes | None, str, str], Awaitable[None]]


def build_broker(
    settings: Settings | None = None, handler: EventHandler | None = None
) -> KafkaBroker:
    """A broker with the notifier's subscriber and (for AsyncAPI) its publishers.

    Without `handler`, events are handled into the configured database (nothing connects
    until the broker starts); `python -m notifier` passes the handler of its running service.
    """
    settings = settings or Settings()
    if handler is None:
        handler = EventHandler(
            make_engine(settings.database_url),
            settings,
            clock_from_file_setting(settings.clock_file),
        )
    broker = make_broker(settings)

    async def to_dead_letter(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
        await dead_letter(broker, raw, key, reason, source)

    @broker.subscriber(
        *INBOUND_TOPICS,
        group_id=settings.consumer_group,
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_keep_raw,
        title="notifier inbound",
        description="提醒、逾期、升级督办、报送、督办通知单、手动催办与通讯录事件",
    )
    async def consume_notifier_inbound(msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        try:
            await handle_records(handler, settings, records, to_dead_letter)
        except Exception as exc:  # the database or the broker (dead letters) is unreachable
            log.warning("inbound_batch_retry_later", error=repr(exc), records=len(records))
            await msg.nack()  # rewinds every partition of the batch; nothing is lost
            await asyncio.sleep(settings.consumer_retry_base_seconds * 10)
            return
        await msg.ack()

    # Publishing goes through the outbox relay; these declarations document it.
    broker.publisher(
        NOTIFICATION_EVENTS.name,
        title="notifier dispatch records",
        description="送达记录：每次发送尝试（NotificationSent / NotificationFailed）",
        schema=NotificationSent | NotificationFailed,
    )
    broker.publisher(
        DEAD_LETTER.name,
        title="notifier dead letters",
        description="最终发送失败的通知（NotificationFailed 信封，原因在 dlq_reason 头）",
        schema=NotificationFailed,
    )
    return broker


async def handle_records(
    handler: EventHandler, settings: Settings, records: Sequence[Any], to_dead_letter: DeadLetter
) -> None:
    """Handle a batch of Kafka records; returns once each is handled or dead-lettered.

    Raises when the database (TRANSIENT) or the broker is unreachable: the caller rewinds.
    """
    events: list[tuple[Inbound, Any]] = []
    for rec in records:
        try:
            envelope = Envelope.from_bytes(rec.value)  # None for a tombstone: dead-lettered
            if not accepts(envelope.event_type):
                continue
            inbound = Inbound(envelope, envelope.open(), rec.topic, _traceparent(rec))
        except Exception as exc:  # ContractError, or not even bytes (a tombstone)
            reason = f"无法解析的消息：{type(exc).__name__}: {exc}"
            await to_dead_letter(rec.value or b"", rec.key, reason, _source(rec))
            continue
        events.append((inbound, rec))
    if not events:
        return
    try:
        await handler.handle_batch([inbound for inbound, _ in events])
        return
    except TRANSIENT:
        raise
    except Exception as exc:
        log.warning("inbound_batch_failed_splitting", error=repr(exc), records=len(events))
    for inbound, rec in events:  # find the poison event(s); the others still go in
        await _handle_alone(handler, settings, inbound, rec, to_dead_letter)


async def _handle_alone(
    handler: EventHandler,
    settings: Settings,
    inbound: Inbound,
    rec: Any,
    to_dead_letter: DeadLetter,
) -> None:
    attempts = settings.consumer_max_attempts
    for attempt in range(1, attempts + 1):
        try:
            await handler.handle_batch([inbound])
            return
        except TRANSIENT:
            raise
        except Exception as exc:
            if attempt == attempts:
                reason = f"处理失败（已重试{attempts}次）：{type(exc).__name__}: {exc}"
                await to_dead_letter(rec.value, rec.key, reason, _source(rec))
                return
            log.warning("handler_retry", attempt=attempt, error=repr(exc), source=_source(rec))
            delay = settings.consumer_retry_base_seconds * 2 ** (attempt - 1)
            await asyncio.sleep(delay)


async def _keep_raw(msg: Any) -> None:
    """The handler reads the raw records itself (envelopes are validated there), so the
    framework's per-record decoding of the batch is skipped."""
    return None


def _traceparent(rec: Any) -> str | None:
    for key, value in rec.headers or ():
        if key == "traceparent" and value:
            return bytes(value).decode()
    return None


def _source(rec: Any) -> str:
    return f"{rec.topic}:{rec.partition}:{rec.offset}"
