"""Event and row ids: UUIDv7, in the order they were made, with their own time."""

from __future__ import annotations

import time
import uuid

import pytest

from duban_contracts import Envelope
from duban_contracts.examples import examples
from duban_contracts.ids import uuid7

pytestmark = pytest.mark.unit


def test_ids_made_in_a_burst_are_unique_ordered_and_carry_the_time_they_were_made() -> None:
    before_ms = time.time_ns() // 1_000_000
    ids = [uuid7() for _ in range(20_000)]  # many per millisecond
    after_ms = time.time_ns() // 1_000_000
    assert all(isinstance(i, uuid.UUID) and i.version == 7 for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # time-ordered, within a millisecond too
    # The 48-bit timestamp stays the clock's: a generator that moved it one millisecond on
    # for every id of the same millisecond would end seconds in the future here.
    stamps = [i.int >> 80 for i in (ids[0], ids[-1])]
    assert before_ms - 1 <= stamps[0] <= stamps[1] <= after_ms + 1


def test_an_envelope_gets_a_uuid7_event_id() -> None:
    envelope = Envelope.wrap(examples()[0], producer="test")
    assert envelope.event_id.version == 7
