"""The watcher's Kafka side: one at-least-once subscriber, and the events it publishes.

The subscriber takes records in batches (`duban_common.batch_consumer`): event types the
watcher does not handle are dropped by their header unparsed; the others are handled in record
order in one transaction with their inbox claims (`handlers.handle_batch`; if one fails, each
is handled alone), and the batch's offsets are committed once, after all of them.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from deadline_watcher.service_layer import handlers
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.settings import Settings
from duban_common.batch_consumer import Inbound, batch_subscriber
from duban_common.kafka import make_broker
from duban_contracts import events as e
from duban_contracts.topics import COMMANDS, SUPERVISION_EVENTS, TASK_EVENTS

consumes = handlers.accepts  # the event types the subscriber reads (listed by AsyncAPI)

# Small batches: a timer's planning waits for its task's event, and a batch is handled in order.
BATCH_RECORDS = 200
BATCH_TIMEOUT_MS = 20

PUBLISHED = (
    e.ReminderDue,
    e.TaskOverdue,
    e.EscalationRaised,
    e.ReportRequested,
    e.ReportMissing,
)


def build_broker(
    settings: Settings | None = None, *, context: WatcherContext | None = None
) -> KafkaBroker:
    """A broker with the task-event and command subscriber and the supervision publishers.

    Without a context (e.g. `make docs`), one is built from the settings on the first message,
    so describing the broker opens no database.
    """
    settings = settings or (context.settings if context else Settings())
    broker = make_broker(settings)
    holder: dict[str, WatcherContext] = {"ctx": context} if context else {}

    async def handle(events: list[Inbound]) -> None:
        if "ctx" not in holder:
            holder["ctx"] = WatcherContext.from_settings(settings)
        await handlers.handle_batch(holder["ctx"], events)

    batch_subscriber(
        broker,
        TASK_EVENTS.name,
        COMMANDS.name,
        group_id=settings.consumer_group,
        handle=handle,
        settings=settings,
        accept=handlers.accepts,
        max_records=BATCH_RECORDS,
        batch_timeout_ms=BATCH_TIMEOUT_MS,
        title="deadline-watcher: task events and RequestMonthlyReports",
    )
    # Events are published by the outbox relay; these declarations document them.
    for cls in PUBLISHED:
        broker.publisher(
            SUPERVISION_EVENTS.name,
            title=f"{SUPERVISION_EVENTS.name}:{cls.EVENT_TYPE}",
            description=(cls.__doc__ or cls.EVENT_TYPE).strip(),
            schema=cls,
        )
    return broker
