"""Kafka side of the ledger: `build_broker(settings=None)`.

Consumes the watcher's and the notifier's events into the timeline in batches (one
transaction per batch, manual ack afterwards); a record that cannot be parsed, or whose
handling keeps failing on its own, goes to the dead-letter topic with the reason.
Publishes (through the outbox relay) task events, directory events and commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from sqlalchemy.exc import InterfaceError, OperationalError

from duban_common.kafka import dead_letter, make_broker
from duban_common.logging import get_logger
from duban_contracts import ContractError, Envelope, Message
from duban_contracts.topics import (
    COMMANDS,
    DIRECTORY_EVENTS,
    NOTIFICATION_EVENTS,
    SUPERVISION_EVENTS,
    TASK_EVENTS,
)
from task_ledger.service_layer import inbound
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings

log = get_logger(__name__)
# Errors that mean "the database is unreachable", not "this record is bad": retry the batch.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def consumes(event_type: str) -> bool:
    """The event types the inbound subscriber reads (the AsyncAPI document lists them)."""
    return event_type in inbound.HANDLED_TYPES


def build_broker(
    settings: Settings | None = None,
    ledger: Ledger | None = None,
    *,
    group_id: str | None = None,
) -> KafkaBroker:
    settings = settings or Settings()
    broker = make_broker(settings)
    state: dict[str, Ledger] = {}

    def get_ledger() -> Ledger:
        if ledger is not None:
            return ledger
        if "ledger" not in state:  # lazily: building the broker for docs opens nothing
            state["ledger"] = Ledger(settings)
        return state["ledger"]

    @broker.subscriber(
        SUPERVISION_EVENTS.name,
        NOTIFICATION_EVENTS.name,
        group_id=group_id or settings.consumer_group,
        batch=True,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        decoder=_keep_raw,
        title="task-ledger inbound",
        description="提醒、逾期、升级、月度调度与送达结果写入任务时间线和站内信",
    )
    async def consume_inbound(msg: KafkaMessage) -> None:
        records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
        try:
            await handle_records(broker, get_ledger(), settings, records)
        except Exception as exc:
            # Bad records were dead-lettered inside; what escapes is the database or the broker
            # being away. Rewind every partition of the batch: the next ack commits the
            # consumer's position, so returning without a nack would skip these records.
            log.warning("inbound_batch_retry_later", error=repr(exc), records=len(records))
            await msg.nack()
            await asyncio.sleep(settings.consumer_retry_base_seconds * 10)
            return
        await msg.ack()

    # Declared for the AsyncAPI document; the outbox relay publishes through the broker.
    broker.publisher(
        TASK_EVENTS.name,
        title="task-ledger task events",
        description="任务生命周期、进展、延期、办结与督办单事件（key = 任务 id）",
    )
    broker.publisher(
        DIRECTORY_EVENTS.name,
        title="task-ledger directory",
        description="单位与用户（含邮箱和送达渠道），通知服务据此建立收件人目录",
    )
    broker.publisher(
        COMMANDS.name, title="task-ledger commands", description="人工催办 SendManualReminder"
    )
    return broker


async def handle_records(
    broker: KafkaBroker, ledger: Ledger, settings: Settings, records: Sequence[Any]
) -> None:
    items: list[tuple[Envelope, Message, Any]] = []
    for rec in records:
        if not isinstance(rec.value, bytes):  # a tombstone: no envelope to read
            await dead_letter(broker, b"", rec.key, "空消息（无消息体）", _source(rec))
            continue
        try:
            envelope = Envelope.from_bytes(rec.value)
            if envelope.event_type not in inbound.HANDLED_TYPES:
                continue
            items.append((envelope, envelope.open(), rec))
        except ContractError as exc:
            await dead_letter(broker, rec.value, rec.key, f"无法解析的消息：{exc}", _source(rec))
    if not items:
        return
    try:
        await _with_retries(ledger, settings, items, settings.consumer_max_attempts)
        return
    except TRANSIENT:
        raise
    except Exception as exc:
        log.warning("inbound_batch_failed_splitting", error=repr(exc), records=len(items))
    for item in items:  # find the poison record(s); the others still go in
        try:
            await _with_retries(ledger, settings, [item], settings.consumer_max_attempts)
        except TRANSIENT:
            raise
        except Exception as exc:
            reason = (
                f"处理失败（已重试{settings.consumer_max_attempts}次）：{type(exc).__name__}: {exc}"
            )
            await dead_letter(broker, item[2].value, item[2].key, reason, _source(item[2]))


async def _with_retries(
    ledger: Ledger, settings: Settings, items: list[tuple[Envelope, Message, Any]], attempts: int
) -> None:
    for attempt in range(1, attempts + 1):
        try:
            await inbound.handle_batch(ledger, [(e, m) for e, m, _ in items])
            return
        except TRANSIENT:
            raise
        except Exception:
            if attempt == attempts:
                raise
            await asyncio.sleep(settings.consumer_retry_base_seconds * 2 ** (attempt - 1))


async def _keep_raw(msg: Any) -> None:
    """The handler reads the raw records itself (envelopes are validated there), so the
    framework's per-record JSON decoding of the batch is skipped."""
    return None


def _source(rec: Any) -> str:
    return f"{rec.topic}:{rec.partition}:{rec.offset}"
