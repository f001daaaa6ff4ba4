"""The watcher's Kafka side: one at-least-once subscriber, and the events it publishes."""

from __future__ import annotations

from faststream.kafka import KafkaBroker

from deadline_watcher.service_layer import handlers
from deadline_watcher.service_layer.context import WatcherContext
from deadline_watcher.settings import Settings
from duban_common.kafka import envelope_subscriber, make_broker
from duban_contracts import Envelope, Message
from duban_contracts import events as e
from duban_contracts.topics import COMMANDS, SUPERVISION_EVENTS, TASK_EVENTS

consumes = handlers.accepts  # the event types the subscriber reads (listed by AsyncAPI)

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

    async def handle(envelope: Envelope, message: Message) -> None:
        if "ctx" not in holder:
            holder["ctx"] = WatcherContext.from_settings(settings)
        await handlers.handle(holder["ctx"], envelope, message)

    envelope_subscriber(
        broker,
        TASK_EVENTS.name,
        COMMANDS.name,
        group_id=settings.consumer_group,
        handler=handle,
        settings=settings,
        accept=handlers.accepts,
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
