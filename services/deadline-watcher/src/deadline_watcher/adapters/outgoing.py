"""Events ready for the outbox: an envelope already serialized.

The scheduler writes up to a batch of events per transaction; building and validating an
`Envelope` model around each (already validated) message, then serializing it, cost as much
as the rest of firing a timer. `encode` writes the same JSON that `Envelope.wrap(...)
.to_bytes()` would, and consumers read it with `Envelope.from_bytes` as usual.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import uuid6

from duban_contracts import Envelope, Message


@dataclass(frozen=True, slots=True)
class OutgoingEvent:
    event_id: str
    event_type: str
    topic: str
    key: str
    body: bytes

    @classmethod
    def of(cls, envelope: Envelope) -> OutgoingEvent:
        return cls(
            str(envelope.event_id),
            envelope.event_type,
            envelope.topic,
            envelope.key,
            envelope.to_bytes(),
        )


def encode(
    message: Message, producer: str, occurred_at: datetime, traceparent: str | None = None
) -> OutgoingEvent:
    """A new, uncaused event (its own correlation id), as `Envelope.wrap` would make it."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    event_id = str(uuid6.uuid7())
    key = message.partition_key()
    head = json.dumps(
        {
            "event_id": event_id,
            "event_type": message.EVENT_TYPE,
            "schema_version": message.SCHEMA_VERSION,
            "occurred_at": occurred_at.isoformat(),
            "producer": producer,
            "correlation_id": event_id,
            "causation_id": None,
            "traceparent": traceparent,
            "tracestate": None,
            "key": key,
        },
        ensure_ascii=False,
    )
    body = head[:-1].encode() + b', "payload": ' + message.model_dump_json().encode() + b"}"
    return OutgoingEvent(event_id, message.EVENT_TYPE, message.TOPIC, key, body)
