"""Consumers drop the event types they do not handle by the record's `event_type` header,
before parsing the body or doing any database work; without the header the envelope decides."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from duban_common.batch_consumer import Inbound, handle_records
from duban_common.kafka import declared_event_type
from duban_common.settings import ServiceSettings
from duban_contracts import Envelope
from duban_contracts.events import ProgressReported, TaskDispatched
from duban_contracts.topics import HEADER_EVENT_TYPE

pytestmark = pytest.mark.unit

WANTED = TaskDispatched.EVENT_TYPE


def record(value: bytes, event_type: str | None, offset: int) -> SimpleNamespace:
    headers = () if event_type is None else ((HEADER_EVENT_TYPE, event_type.encode()),)
    return SimpleNamespace(
        topic="duban.task-events",
        partition=0,
        offset=offset,
        key=b"t",
        value=value,
        headers=headers,
    )


async def test_unwanted_types_are_skipped_unparsed_and_the_rest_handled() -> None:
    wanted = Envelope.wrap(TaskDispatched(task_id="t", due_on=None, actor_id="a"), producer="x")
    progress = Envelope.wrap(
        ProgressReported(task_id="t", report_id="r", department_id="d", percent=10),
        producer="x",
    )
    records = [
        # A body that is no envelope at all: parsing it would dead-letter it, so being left
        # alone shows it was never parsed.
        record(b"not an envelope", ProgressReported.EVENT_TYPE, 0),
        record(progress.to_bytes(), None, 1),  # no header: the envelope says it is unwanted
        record(wanted.to_bytes(), WANTED, 2),
    ]
    handled: list[Inbound] = []
    dead: list[str] = []

    async def handle(events: list[Inbound]) -> None:
        handled.extend(events)

    async def to_dead_letter(raw: bytes, key: bytes | None, reason: str, source: str) -> None:
        dead.append(source)

    settings = ServiceSettings()
    await handle_records(records, handle, settings, to_dead_letter, lambda t: t == WANTED)
    assert [e.envelope.event_id for e in handled] == [wanted.event_id]
    assert dead == []


def test_the_declared_type_is_read_from_the_headers() -> None:
    assert declared_event_type(record(b"", WANTED, 0)) == WANTED
    assert declared_event_type(record(b"", None, 0)) is None
    assert declared_event_type(SimpleNamespace()) is None
