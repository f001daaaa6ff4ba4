"""The notifier's Kafka side: one batched at-least-once subscriber over every topic it reads
(`duban_common.batch_consumer`: a batch per transaction, offsets committed after it, poison
dead-lettered alone, an unreachable database or broker rewinds the batch), and the publishers
its outbox relay and dead letters use.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from duban_common.batch_consumer import batch_subscriber
from duban_common.clock import clock_from_file_setting
from duban_common.db import make_engine
from duban_common.kafka import make_broker
from duban_contracts.events import NotificationFailed, NotificationSent
from duban_contracts.topics import (
    COMMANDS,
    DEAD_LETTER,
    DIRECTORY_EVENTS,
    NOTIFICATION_EVENTS,
    SUPERVISION_EVENTS,
    TASK_EVENTS,
)
from notifier.service_layer.handlers import EventHandler, accepts
from notifier.settings import Settings

consumes = accepts  # the event types the subscriber reads (the AsyncAPI document lists them)

INBOUND_TOPICS = (
    SUPERVISION_EVENTS.name,
    TASK_EVENTS.name,
    COMMANDS.name,
    DIRECTORY_EVENTS.name,
)


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

    batch_subscriber(
        broker,
        *INBOUND_TOPICS,
        group_id=settings.consumer_group,
        handle=handler.handle_batch,
        settings=settings,
        accept=accepts,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        title="notifier inbound",
        description="提醒、逾期、升级督办、报送、督办通知单、手动催办与通讯录事件",
    )

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
