"""Base classes for every message that crosses a service boundary.

Events are past tense (something happened), commands are imperative (please do this).
Every message is a frozen pydantic model; unknown fields are refused so a typo fails loudly.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_max_length=20_000)

    EVENT_TYPE: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1
    TOPIC: ClassVar[str]
    # Name of the payload field whose value is the Kafka key (ordering unit).
    KEY_FIELD: ClassVar[str] = "task_id"

    def partition_key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))


class Event(Message):
    """Something that happened. Past tense."""


class Command(Message):
    """A request to do something. Imperative."""
