"""Inspect and replay the dead-letter topic (`duban deadletter list|replay`).

A consumer dead-letters a record it cannot parse, or whose handler keeps failing, with the
reason and the record's origin (`topic:partition:offset`) in headers (`duban_common.kafka`).
After the fix is deployed, `replay` publishes the chosen records back to their original topic
with their original key and body, so they land in the same partition as the task's other
events. Replaying is safe because consumers are idempotent (inbox by event id): a record that
was in fact handled already changes nothing the second time.

The topic is read without a consumer group (partitions assigned, nothing committed), so listing
never moves anybody's offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from duban_common.kafka import record_headers
from duban_contracts import DEAD_LETTER, ContractError, Envelope
from duban_contracts.topics import HEADER_DLQ_REASON, HEADER_DLQ_REPLAYED, HEADER_DLQ_SOURCE


class DeadLetterError(ValueError):
    """Bad input or an unreachable broker; the text (Chinese) is for the operator."""


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    reason: str
    source: str  # `topic:partition:offset` of the record that was dead-lettered
    envelope: Envelope | None  # None: the body is not a readable envelope

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def event_id(self) -> UUID | None:
        return self.envelope.event_id if self.envelope else None

    @property
    def original_topic(self) -> str | None:
        """From the origin header; failing that, the topic the envelope's event type uses."""
        topic = self.source.rsplit(":", 2)[0] if self.source.count(":") >= 2 else ""
        if topic:
            return topic
        if self.envelope is not None:
            try:
                return self.envelope.topic
            except ContractError:
                return None
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "timestamp": self.timestamp.isoformat(),
            "original_topic": self.original_topic,
            "source": self.source,
            "key": self.key.decode(errors="replace") if self.key is not None else None,
            "event_id": str(self.event_id) if self.event_id else None,
            "event_type": self.envelope.event_type if self.envelope else None,
            "reason": self.reason,
        }


def _header(headers: Iterable[tuple[str, bytes]] | None, name: str) -> str:
    for key, value in headers or ():
        if key == name and value is not None:
            return bytes(value).decode(errors="replace")
    return ""


def _letter(record: Any) -> DeadLetter:
    value: bytes = record.value or b""
    try:
        envelope: Envelope | None = Envelope.from_bytes(value)
    except ContractError:
        envelope = None
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key,
        value=value,
        reason=_header(record.headers, HEADER_DLQ_REASON),
        source=_header(record.headers, HEADER_DLQ_SOURCE),
        envelope=envelope,
    )


async def read_dead_letters(
    bootstrap: str, since: datetime | None = None, security: dict[str, Any] | None = None
) -> list[DeadLetter]:
    """Every dead-lettered record (or those written at or after `since`), oldest first.

    `security`: the client's TLS/SASL options (`duban_common.kafka_security.client_options`)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
        **(security or {}),
    )
    try:
        await consumer.start()
    except Exception as exc:
        await consumer.stop()
        raise DeadLetterError(f"无法连接 Kafka（{bootstrap}）：{exc}") from exc
    try:
        partitions = consumer.partitions_for_topic(DEAD_LETTER.name)
        if partitions is None:
            await consumer.topics()  # refresh the metadata once
            partitions = consumer.partitions_for_topic(DEAD_LETTER.name) or set()
        tps = [TopicPartition(DEAD_LETTER.name, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        if since is not None:
            found = await consumer.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in tps}
            )
            starts = {tp: found[tp].offset if found[tp] else ends[tp] for tp in tps}
        for tp in tps:
            consumer.seek(tp, starts[tp])
        letters: list[DeadLetter] = []
        pending = {tp for tp in tps if starts[tp] < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for tp, records in batch.items():
                letters += [_letter(r) for r in records if r.offset < ends[tp]]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return sorted(letters, key=lambda letter: (letter.timestamp, letter.partition))
    finally:
        await consumer.stop()


def parse_position(text: str) -> tuple[int, int]:
    """`PARTITION:OFFSET`, as `list` prints it."""
    partition, sep, offset = text.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise DeadLetterError(f"位置格式应为 分区:偏移量（如 0:12），收到 {text!r}")
    return int(partition), int(offset)


def parse_event_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise DeadLetterError(f"事件编号应为 UUID，收到 {text!r}") from None


def parse_since(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is Beijing time (UTC+8), as everything users see."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DeadLetterError(
            f"时间格式应为 ISO 8601（如 2026-03-02T09:00），收到 {text!r}"
        ) from None
    if moment.tzinfo is None:
        from zoneinfo import ZoneInfo

        moment = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return moment


def select(
    letters: Sequence[DeadLetter],
    positions: Sequence[tuple[int, int]] = (),
    event_ids: Sequence[UUID] = (),
) -> list[DeadLetter]:
    """The letters named by position or event id; with neither, all of them."""
    if not positions and not event_ids:
        return list(letters)
    wanted_positions, wanted_ids = set(positions), set(event_ids)
    chosen = [
        letter
        for letter in letters
        if (letter.partition, letter.offset) in wanted_positions or letter.event_id in wanted_ids
    ]
    found_positions = {(letter.partition, letter.offset) for letter in chosen}
    found_ids = {letter.event_id for letter in chosen}
    missing = [f"{p}:{o}" for p, o in positions if (p, o) not in found_positions]
    missing += [str(i) for i in event_ids if i not in found_ids]
    if missing:
        raise DeadLetterError(f"死信主题中没有：{', '.join(missing)}")
    return chosen


async def replay(
    bootstrap: str, letters: Sequence[DeadLetter], security: dict[str, Any] | None = None
) -> list[tuple[DeadLetter, str]]:
    """Publish each letter to its original topic with its key and body; returns (letter, topic)."""
    targets = []
    for letter in letters:
        topic = letter.original_topic
        if topic is None:
            raise DeadLetterError(f"死信 {letter.position} 无法确定原主题，未重放任何消息")
        targets.append((letter, topic))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=False,
        request_timeout_ms=10_000,
        **(security or {}),
    )
    try:
        await producer.start()
    except Exception as exc:
        await producer.stop()
        raise DeadLetterError(f"无法连接 Kafka（{bootstrap}）：{exc}") from exc
    try:
        for letter, topic in targets:
            headers = record_headers(letter.envelope) if letter.envelope else {}
            headers[HEADER_DLQ_REPLAYED] = f"{DEAD_LETTER.name}:{letter.position}"
            await producer.send_and_wait(
                topic,
                letter.value,
                key=letter.key,
                headers=[(k, v.encode()) for k, v in headers.items()],
            )
    finally:
        await producer.stop()
    return targets
