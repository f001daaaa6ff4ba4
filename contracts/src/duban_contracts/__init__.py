"""Duban's integration vocabulary: topics, envelope, events and commands."""

from duban_contracts.base import Command, Event, Message
from duban_contracts.commands import *  # noqa: F403
from duban_contracts.envelope import REGISTRY, ContractError, Envelope, message_class
from duban_contracts.events import *  # noqa: F403
from duban_contracts.topics import ALL_TOPICS, DEAD_LETTER, Topic
from duban_contracts.vocabulary import *  # noqa: F403

__all__ = [
    "ALL_TOPICS",
    "DEAD_LETTER",
    "REGISTRY",
    "Command",
    "ContractError",
    "Envelope",
    "Event",
    "Message",
    "Topic",
    "message_class",
]
