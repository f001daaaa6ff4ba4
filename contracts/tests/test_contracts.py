from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from duban_contracts import REGISTRY, ContractError, Envelope
from duban_contracts.envelope import UPCASTERS, upcast, upcaster
from duban_contracts.events import ProgressReported, TaskRegistered
from duban_contracts.examples import examples

pytestmark = pytest.mark.unit


def test_every_registered_type_has_an_example() -> None:
    assert {m.EVENT_TYPE for m in examples()} == set(REGISTRY)


@pytest.mark.parametrize("message", examples(), ids=lambda m: m.EVENT_TYPE)
def test_envelope_round_trip(message) -> None:  # type: ignore[no-untyped-def]
    env = Envelope.wrap(message, producer="test")
    back = Envelope.from_bytes(env.to_bytes())
    assert back == env
    assert back.open() == message
    assert env.key == message.partition_key()


def test_task_messages_are_keyed_by_task_id() -> None:
    for m in examples():
        if "task_id" in type(m).model_fields and m.KEY_FIELD == "task_id":
            assert Envelope.wrap(m, producer="t").key == m.task_id  # type: ignore[attr-defined]


def test_event_ids_are_time_ordered() -> None:
    ids = [Envelope.wrap(examples()[0], producer="t").event_id for _ in range(50)]
    assert ids == sorted(ids)
    assert all(i.version == 7 for i in ids)


def test_occurred_at_must_be_timezone_aware() -> None:
    env = Envelope.wrap(examples()[0], producer="t").model_dump(mode="json")
    env["occurred_at"] = "2026-03-02T09:00:00"
    with pytest.raises(ValidationError, match="occurred_at"):
        Envelope.model_validate(env)


def test_wrong_field_is_rejected_naming_it() -> None:
    good = examples()[5]
    assert isinstance(good, ProgressReported)
    payload = good.model_dump(mode="json") | {"percent": 140}
    env = Envelope.wrap(good, producer="t").model_copy(update={"payload": payload})
    with pytest.raises(ContractError, match="percent"):
        env.open()
    with pytest.raises(ValidationError, match="unexpected_field"):
        ProgressReported.model_validate(good.model_dump() | {"unexpected_field": 1})


def test_messages_are_frozen() -> None:
    m = examples()[0]
    with pytest.raises(ValidationError):
        m.title = "x"  # type: ignore[misc]


def test_unknown_type_and_garbage_are_contract_errors() -> None:
    env = Envelope.wrap(examples()[0], producer="t").model_copy(update={"event_type": "nope"})
    with pytest.raises(ContractError, match="unknown event type"):
        env.open()
    with pytest.raises(ContractError, match="invalid envelope"):
        Envelope.from_bytes(b"\xff\xfe not json")
    with pytest.raises(ContractError, match="too large"):
        Envelope.from_bytes(b" " * 2_000_000)


def test_correlation_and_causation_follow_the_cause() -> None:
    cause = Envelope.wrap(examples()[0], producer="ledger")
    effect = Envelope.wrap(examples()[14], producer="watcher", causation=cause)
    assert effect.causation_id == cause.event_id
    assert effect.correlation_id == cause.correlation_id


def test_additive_change_keeps_old_records_readable() -> None:
    # An old producer did not know `supporting_department_ids` (it has a default).
    payload = examples()[0].model_dump(mode="json")
    del payload["supporting_department_ids"]
    msg = TaskRegistered.model_validate(payload)
    assert msg.supporting_department_ids == ()


def test_breaking_change_goes_through_upcasters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TaskRegistered, "SCHEMA_VERSION", 3)
    monkeypatch.setattr("duban_contracts.envelope.UPCASTERS", dict(UPCASTERS))

    # v1 had `lead_department_id` (one), v2 renamed `deadline` -> `due_on`.
    @upcaster("task.registered", 1)
    def _v1_to_v2(p: dict) -> dict:  # type: ignore[type-arg]
        p["lead_department_ids"] = [p.pop("lead_department_id")]
        return p

    @upcaster("task.registered", 2)
    def _v2_to_v3(p: dict) -> dict:  # type: ignore[type-arg]
        p["due_on"] = p.pop("deadline")
        return p

    v1 = examples()[0].model_dump(mode="json")
    v1["lead_department_id"] = v1.pop("lead_department_ids")[0]
    v1["deadline"] = v1.pop("due_on")
    env = Envelope.wrap(examples()[0], producer="old").model_copy(
        update={"schema_version": 1, "payload": v1}
    )
    assert env.open() == examples()[0]
    with pytest.raises(ContractError, match="newer than this reader"):
        upcast("task.registered", 4, v1, 3)
    with pytest.raises(ContractError, match="no upcaster"):
        upcast("task.closed", 1, {}, 2)


class ProgressReportedNext(ProgressReported):
    """The next release's ProgressReported: one optional field more, the same schema version."""

    attachment_count: int | None = None


def test_a_previous_consumer_reads_an_event_with_an_added_optional_field() -> None:
    current = examples()[5]
    assert isinstance(current, ProgressReported)
    newer = ProgressReportedNext(**current.model_dump(), attachment_count=2)
    raw = Envelope.wrap(newer, producer="ledger-next").to_bytes()
    assert b'"attachment_count":2' in raw

    read = Envelope.from_bytes(raw).open()  # what every consumer does with a record

    assert type(read) is ProgressReported
    assert read == current
    # A newer producer's extra envelope field is ignored in the same way.
    envelope = json.loads(raw)
    Envelope.from_bytes(json.dumps(envelope | {"tenant": "gd"}).encode()).open()


def test_producers_stay_strict_and_known_fields_stay_validated() -> None:
    current = examples()[5]
    fields = current.model_dump()
    with pytest.raises(ValidationError, match="attachment_count"):
        ProgressReported(**fields, attachment_count=2)
    with pytest.raises(ValidationError, match="tenant"):
        Envelope(**Envelope.wrap(current, producer="t").model_dump(), tenant="gd")
    # Tolerance is for unknown fields only: a known field with a wrong value is still refused.
    payload = current.model_dump(mode="json") | {"percent": 140, "attachment_count": 2}
    env = Envelope.wrap(current, producer="t").model_copy(update={"payload": payload})
    with pytest.raises(ContractError, match="percent"):
        env.open()
