"""The envelope every record carries, and the registry that turns it back into a message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from duban_contracts import commands, events
from duban_contracts.base import Message
from duban_contracts.ids import uuid7

# Largest record a consumer accepts; anything bigger is poison (Kafka's default is 1 MiB).
MAX_RECORD_BYTES = 1_000_000

TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


class ContractError(ValueError):
    """A record that cannot be turned into a known message. The text says why."""


class Envelope(BaseModel):
    """Built strictly by `wrap`; read tolerantly by `from_bytes` and `open` (see `base`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid7)
    event_type: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    producer: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    traceparent: Annotated[str, StringConstraints(pattern=TRACEPARENT_PATTERN)] | None = None
    tracestate: Annotated[str, StringConstraints(max_length=512)] | None = None
    key: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        producer: str,
        occurred_at: datetime | None = None,
        correlation_id: UUID | None = None,
        causation: Envelope | None = None,
        traceparent: str | None = None,
        tracestate: str | None = None,
    ) -> Self:
        """Wrap a message. A caused message inherits the cause's correlation id."""
        event_id = uuid7()
        if causation is not None:
            correlation_id = correlation_id or causation.correlation_id or causation.event_id
        return cls(
            event_id=event_id,
            event_type=message.EVENT_TYPE,
            schema_version=message.SCHEMA_VERSION,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id or event_id,
            causation_id=causation.event_id if causation else None,
            traceparent=traceparent,
            tracestate=tracestate,
            key=message.partition_key(),
            payload=message.model_dump(mode="json"),
        )

    @property
    def topic(self) -> str:
        return message_class(self.event_type).TOPIC

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        if len(raw) > MAX_RECORD_BYTES:
            raise ContractError(f"record too large: {len(raw)} bytes > {MAX_RECORD_BYTES}")
        try:  # a newer producer's extra envelope field is ignored, as in payloads
            return cls.model_validate_json(raw, extra="ignore")
        except ValueError as exc:
            raise ContractError(f"invalid envelope: {exc}") from exc

    def open(self) -> Message:
        """Validate the payload as its (latest-version) message class, upcasting if needed.

        Tolerant reader: fields this version does not know are ignored, known ones validated.
        """
        cls = message_class(self.event_type)
        payload = upcast(self.event_type, self.schema_version, self.payload, cls.SCHEMA_VERSION)
        try:
            return cls.read(payload)
        except ValueError as exc:
            raise ContractError(f"invalid {self.event_type} payload: {exc}") from exc


def _collect() -> dict[str, type[Message]]:
    found: dict[str, type[Message]] = {}
    for module in (events, commands):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Message)
                and "EVENT_TYPE" in vars(value)
            ):
                if value.EVENT_TYPE in found:
                    raise RuntimeError(f"duplicate event type {value.EVENT_TYPE}")
                found[value.EVENT_TYPE] = value
    return found


REGISTRY: dict[str, type[Message]] = _collect()


def message_class(event_type: str) -> type[Message]:
    try:
        return REGISTRY[event_type]
    except KeyError:
        raise ContractError(f"unknown event type {event_type!r}") from None


# --- versioning ----------------------------------------------------------------------------
# Rule: a change that only adds an optional field keeps the version: records of older
# producers validate because the field has a default, and consumers still on the previous
# release of this package ignore the field (`Message.read`), so services can be upgraded one
# at a time in any order. A breaking change (rename, removal, new meaning) bumps
# SCHEMA_VERSION and registers an upcaster from the old version to the next one here, so a
# consumer can always read every record still on the topics.

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    def register(fn: Upcaster) -> Upcaster:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return register


def upcast(event_type: str, version: int, payload: dict[str, Any], target: int) -> dict[str, Any]:
    if version > target:
        raise ContractError(
            f"{event_type} v{version} is newer than this reader (v{target}); upgrade the service"
        )
    while version < target:
        step = UPCASTERS.get((event_type, version))
        if step is None:
            raise ContractError(f"no upcaster for {event_type} v{version} -> v{version + 1}")
        payload = step(dict(payload))
        version += 1
    return payload


def dumps_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
