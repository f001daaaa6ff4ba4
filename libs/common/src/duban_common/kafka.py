"""Kafka helpers shared by the services: broker factory, envelope subscribers, dead letters.

Delivery is at-least-once: a record's offset is committed only after its handler finished
(AckPolicy.ACK with a group id). A handler that keeps failing, or a record that is not a valid
envelope, goes to the dead-letter topic with the reason and is then committed, so one poison
record never blocks its partition. Handlers must therefore be idempotent (see `inbox`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaBroker as CurrentBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

from duban_common.kafka_security import broker_security
from duban_common.logging import get_logger
from duban_common.settings import ServiceSettings
from duban_contracts import DEAD_LETTER, ContractError, Envelope, Message
from duban_contracts.topics import (
    HEADER_DLQ_REASON,
    HEADER_DLQ_SOURCE,
    HEADER_EVENT_TYPE,
    HEADER_SCHEMA_VERSION,
)

log = get_logger(__name__)

EnvelopeHandler = Callable[[Envelope, Message], Awaitable[None]]


def make_broker(settings: ServiceSettings, **kwargs: Any) -> KafkaBroker:
    """A FastStream Kafka broker with tracing; never idempotent or transactional."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.kafka_client_id or settings.service_name,
        acks="all",
        enable_idempotence=False,
        security=broker_security(settings),
        middlewares=[KafkaTelemetryMiddleware()],
        # Through our structlog handlers; per-message access lines only at DEBUG.
        logger=logging.getLogger("duban.kafka"),
        log_level=logging.DEBUG,
        **kwargs,
    )


def record_headers(envelope: Envelope) -> dict[str, str]:
    headers = {
        HEADER_EVENT_TYPE: envelope.event_type,
        HEADER_SCHEMA_VERSION: str(envelope.schema_version),
    }
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
        if envelope.tracestate:
            headers["tracestate"] = envelope.tracestate
    return headers


async def publish_envelope(broker: KafkaBroker, envelope: Envelope) -> None:
    """Publish now and wait for the broker's ack. Prefer the outbox for state changes."""
    await broker.publish(
        envelope.to_bytes(),
        topic=envelope.topic,
        key=envelope.key.encode(),
        headers=record_headers(envelope),
    )


def declared_event_type(record: Any) -> str | None:
    """The event type a Kafka record's header declares (every relay and `publish_envelope`
    set it), so consumers skip what they do not handle before parsing the body. None when
    absent: the envelope then decides."""
    for key, value in getattr(record, "headers", None) or ():
        if key == HEADER_EVENT_TYPE and value:
            return bytes(value).decode(errors="replace")
    return None


async def dead_letter(
    broker: KafkaBroker, raw: bytes, key: bytes | None, reason: str, source: str
) -> None:
    await broker.publish(
        raw,
        topic=DEAD_LETTER.name,
        key=key,
        headers={HEADER_DLQ_REASON: reason[:2000], HEADER_DLQ_SOURCE: source},
    )
    log.warning("dead_lettered", source=source, reason=reason[:500])


def envelope_subscriber(
    router: KafkaRouter | KafkaBroker,
    *topics: str,
    group_id: str,
    handler: EnvelopeHandler,
    settings: ServiceSettings,
    accept: Callable[[str], bool] = lambda event_type: True,
    **subscriber_kwargs: Any,
) -> Any:
    """Subscribe `handler(envelope, message)` to topics with at-least-once semantics.

    `accept(event_type)` filters event types the consumer does not care about (committed
    without calling the handler). Unknown or malformed records are dead-lettered.
    """

    async def consume(msg: KafkaMessage, broker: CurrentBroker) -> None:
        rec = msg.raw_message
        declared = declared_event_type(rec)
        if declared is not None and not accept(declared):
            return  # committed unread: no parse, no database work
        raw: bytes = msg.body
        source = f"{rec.topic}:{rec.partition}:{rec.offset}"  # type: ignore[union-attr]
        key = rec.key  # type: ignore[union-attr]
        try:
            envelope = Envelope.from_bytes(raw)
            if not accept(envelope.event_type):
                return
            message = envelope.open()
        except ContractError as exc:
            await dead_letter(broker, raw, key, f"无法解析的消息：{exc}", source)
            return
        attempts = settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                await handler(envelope, message)
                return
            except Exception as exc:
                if attempt == attempts:
                    reason = f"处理失败（已重试{attempts}次）：{type(exc).__name__}: {exc}"
                    await dead_letter(broker, raw, key, reason, source)
                    return
                log.warning("handler_retry", attempt=attempt, error=repr(exc), source=source)
                delay = settings.consumer_retry_base_seconds * 2 ** (attempt - 1)
                await asyncio.sleep(delay * (0.5 + random.random()))

    consume.__name__ = f"consume_{group_id}_{'_'.join(t.replace('.', '_') for t in topics)}"
    return router.subscriber(
        *topics,
        group_id=group_id,
        ack_policy=AckPolicy.ACK,
        auto_offset_reset="earliest",
        **subscriber_kwargs,
    )(consume)
