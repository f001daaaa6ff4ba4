"""Base classes for every message that crosses a service boundary.

Events are past tense (something happened), commands are imperative (please do this).
Every message is a frozen pydantic model.

Strict writer, tolerant reader: constructing a message (what a producer does) refuses unknown
fields, so a typo fails loudly where it is made; reading one from a record (`Message.read`, what
`Envelope.open` does for every consumer) ignores fields this version of the package does not
know. A newer producer may add an optional field without a new schema version (see
`duban_contracts.envelope`), and consumers not yet upgraded during a rolling upgrade go on
reading its events instead of dead-lettering them. Known fields are validated as strictly on
both sides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

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

    @classmethod
    def read(cls, payload: Mapping[str, Any]) -> Self:
        """A message from a record's payload: fields unknown to this version are ignored."""
        return cls.model_validate(payload, extra="ignore")


class Event(Message):
    """Something that happened. Past tense."""


class Command(Message):
    """A request to do something. Imperative."""
