"""Kafka topics, their partition counts, and the key rule.

Key rule: every message about a task is keyed by its task id, so one task's events stay
in one partition and therefore in order. Directory messages are keyed by the department
or user id; monthly-dispatch messages by the department id; plan-cascade messages (plan and
measure links, on the directory topic) by the subordinate plan's id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    description: str


TASK_EVENTS = Topic("duban.task.events", 12, "ledger: task lifecycle and supervision notices")
SUPERVISION_EVENTS = Topic(
    "duban.supervision.events", 12, "deadline-watcher: reminders, overdue, escalations, reports"
)
NOTIFICATION_EVENTS = Topic("duban.notification.events", 6, "notifier: delivery results")
DIRECTORY_EVENTS = Topic("duban.directory.events", 3, "ledger: departments and users")
COMMANDS = Topic("duban.commands", 6, "commands between services")
DEAD_LETTER = Topic("duban.deadletter", 3, "poison messages with the reason")

ALL_TOPICS: tuple[Topic, ...] = (
    TASK_EVENTS,
    SUPERVISION_EVENTS,
    NOTIFICATION_EVENTS,
    DIRECTORY_EVENTS,
    COMMANDS,
    DEAD_LETTER,
)

# Headers carried on every record next to the envelope body.
HEADER_EVENT_TYPE = "event_type"
HEADER_SCHEMA_VERSION = "schema_version"
HEADER_DLQ_REASON = "dlq_reason"
HEADER_DLQ_SOURCE = "dlq_source"
# On a record `duban deadletter replay` published again: `duban.deadletter:PARTITION:OFFSET`.
HEADER_DLQ_REPLAYED = "dlq_replayed_from"
