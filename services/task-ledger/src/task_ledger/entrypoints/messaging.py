"""Kafka side of the ledger: `build_broker(settings=None)`.

Consumes the watcher's and the notifier's events into the timeline in batches (see
`duban_common.batch_consumer`: one transaction per batch, offsets committed after it; a record
that cannot be parsed, or whose handling keeps failing on its own, goes to the dead-letter
topic with the reason). Publishes (through the outbox relay) task events, directory events
and commands.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from duban_common.batch_consumer import Inbound, batch_subscriber
from duban_common.kafka import make_broker
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

    async def store(events: list[Inbound]) -> None:
        await inbound.handle_batch(get_ledger(), [(e.envelope, e.message) for e in events])

    batch_subscriber(
        broker,
        SUPERVISION_EVENTS.name,
        NOTIFICATION_EVENTS.name,
        group_id=group_id or settings.consumer_group,
        handle=store,
        settings=settings,
        accept=consumes,
        max_records=settings.consumer_batch_size,
        batch_timeout_ms=settings.consumer_batch_timeout_ms,
        title="task-ledger inbound",
        description="提醒、逾期、升级、月度调度与送达结果写入任务时间线和站内信",
    )

    # Declared for the AsyncAPI document; the outbox relay publishes through the broker.
    broker.publisher(
        TASK_EVENTS.name,
        title="task-ledger task events",
        description="任务生命周期、进展、延期、办结与督办单事件（key = 任务 id）",
    )
    broker.publisher(
        DIRECTORY_EVENTS.name,
        title="task-ledger directory",
        description=(
            "单位与用户（含邮箱和送达渠道），通知服务据此建立收件人目录；"
            "方案上下级与措施对应关系的变更（key = 下级方案 id）"
        ),
    )
    broker.publisher(
        COMMANDS.name, title="task-ledger commands", description="人工催办 SendManualReminder"
    )
    return broker
