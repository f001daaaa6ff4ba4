"""Deliveries: queueing, claiming, recording attempts, dead letters. All inside the caller's
transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from duban_common.db import insert_rows
from duban_common.telemetry import current_traceparent
from duban_contracts.ids import uuid7
from duban_contracts.vocabulary import Channel
from notifier.adapters import directory
from notifier.adapters.sql import among
from notifier.adapters.tables import (
    dead_letters,
    deliveries,
    delivery_items,
    dispatch_records,
)
from notifier.domain.model import DeliveryStatus, Kind, Notice, Recipient

# --- enqueueing -----------------------------------------------------------------------------


def new_notification_id() -> str:
    """A UUIDv7 (time-ordered), as text."""
    return str(uuid7())


def dedupe_key(source_key: str, recipient_id: str, channel: Channel) -> str:
    """One per (source event, recipient, channel): the same fact never reaches anyone twice."""
    return hashlib.sha256(f"{source_key}\x1f{recipient_id}\x1f{channel.value}".encode()).hexdigest()


class Enqueuing:
    """The deliveries one batch of events asks for, written in a few statements at the end.

    Each (source key, recipient, channel) is queued once: keys already stored, or queued by
    an earlier event of the batch, are skipped. Reminders join the person's open digest on
    that channel (one stored, or one opened earlier in the batch), or open one that collects
    until `now + digest_window`; everything else becomes a delivery of its own.
    """

    def __init__(self, now: datetime, digest_window: timedelta) -> None:
        self.now = now
        self.digest_window = digest_window
        self._notices: list[tuple[Notice, dict[str, tuple[Recipient, Channel]], str | None]] = []

    def add(self, notice: Notice, targets: Sequence[tuple[Recipient, Channel]]) -> None:
        keys = {dedupe_key(notice.source_key, p.user_id, ch): (p, ch) for p, ch in targets}
        traceparent, _ = current_traceparent()  # the consumer's span, in the producer's trace
        if keys:
            self._notices.append((notice, keys, traceparent))

    async def write(self, conn: AsyncConnection) -> list[tuple[Notice, int]]:
        """Insert what is new; returns each notice with how many of its targets were queued."""
        taken = await _stored_keys(conn, [k for _, keys, _ in self._notices for k in keys])
        digests: dict[tuple[str, Channel], str | None] = {}
        new_deliveries: list[dict[str, Any]] = []
        new_items: list[dict[str, Any]] = []
        queued: list[tuple[Notice, int]] = []
        for notice, keys, traceparent in self._notices:
            count = 0
            for key, (person, channel) in keys.items():
                if key in taken:
                    continue
                taken.add(key)
                count += 1
                notification_id = None
                if notice.digested:
                    slot = (person.user_id, channel)
                    if slot not in digests:
                        digests[slot] = await _open_digest(conn, person.user_id, channel)
                    notification_id = digests[slot]
                if notification_id is None:
                    notification_id = new_notification_id()
                    new_deliveries.append(self._delivery(notification_id, notice, person, channel))
                    if notice.digested:
                        digests[(person.user_id, channel)] = notification_id
                new_items.append(
                    {
                        "notification_id": notification_id,
                        "dedupe_key": key,
                        "source_event_id": notice.source_event_id,
                        "kind": notice.kind.value,
                        "task_id": notice.task_id,
                        "facts": notice.facts,
                        "traceparent": traceparent,
                    }
                )
            queued.append((notice, count))
        await insert_rows(conn, deliveries, new_deliveries)
        # The unique dedupe key is the safety net if two consumers race on one event.
        await insert_rows(conn, delivery_items, new_items)
        return queued

    def _delivery(
        self, notification_id: str, notice: Notice, person: Recipient, channel: Channel
    ) -> dict[str, Any]:
        return {
            "notification_id": notification_id,
            "recipient_id": person.user_id,
            "channel": channel.value,
            "kind": notice.kind.value,
            "urgent": notice.urgent,
            "status": (
                DeliveryStatus.COLLECTING if notice.digested else DeliveryStatus.PENDING
            ).value,
            "attempts": 0,
            "next_attempt_at": self.now + self.digest_window if notice.digested else self.now,
            "created_at": self.now,
        }


async def _stored_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    query = select(delivery_items.c.dedupe_key).where(
        among(conn, delivery_items.c.dedupe_key, list(dict.fromkeys(keys)))
    )
    return set(await conn.scalars(query))


async def _open_digest(conn: AsyncConnection, recipient_id: str, channel: Channel) -> str | None:
    """The digest still collecting for this person and channel, locked against flushing."""
    candidate = await conn.scalar(
        select(deliveries.c.notification_id)
        .where(
            deliveries.c.recipient_id == recipient_id,
            deliveries.c.channel == channel.value,
            deliveries.c.status == DeliveryStatus.COLLECTING.value,
        )
        .order_by(deliveries.c.created_at)
        .limit(1)
    )
    if candidate is None:
        return None
    # Conditional update: if the delivery loop flushed it meanwhile, this touches no row.
    touched = await conn.execute(
        update(deliveries)
        .where(
            deliveries.c.notification_id == candidate,
            deliveries.c.status == DeliveryStatus.COLLECTING.value,
        )
        .values(status=DeliveryStatus.COLLECTING.value)
        .returning(deliveries.c.notification_id)
    )
    return candidate if touched.first() is not None else None


# --- delivering -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDelivery:
    notification_id: str
    recipient_id: str
    channel: Channel
    kind: Kind
    urgent: bool
    status: DeliveryStatus
    attempts: int


@dataclass(frozen=True)
class Item:
    source_event_id: str
    kind: Kind
    task_id: str | None
    facts: dict[str, Any]
    traceparent: str | None = None


async def due(conn: AsyncConnection, now: datetime, limit: int) -> list[DueDelivery]:
    rows = await conn.execute(
        select(deliveries)
        .where(
            deliveries.c.status.in_(
                [DeliveryStatus.PENDING.value, DeliveryStatus.COLLECTING.value]
            ),
            deliveries.c.next_attempt_at <= now,
        )
        .order_by(deliveries.c.next_attempt_at)
        .limit(limit)
    )
    return [
        DueDelivery(
            notification_id=row.notification_id,
            recipient_id=row.recipient_id,
            channel=Channel(row.channel),
            kind=Kind(row.kind),
            urgent=row.urgent,
            status=DeliveryStatus(row.status),
            attempts=row.attempts,
        )
        for row in rows
    ]


async def postpone(conn: AsyncConnection, ids: Sequence[str], until: datetime) -> None:
    """Move the next attempt without counting one (quiet hours, robot rate limit)."""
    if ids:
        await conn.execute(
            update(deliveries)
            .where(among(conn, deliveries.c.notification_id, ids))
            .values(next_attempt_at=until)
        )


async def claim(
    conn: AsyncConnection, ids: Sequence[str], now: datetime, lease_until: datetime
) -> list[str]:
    """Take due deliveries for one attempt. A crash mid-attempt retries after the lease."""
    if not ids:
        return []
    rows = await conn.execute(
        update(deliveries)
        .where(
            among(conn, deliveries.c.notification_id, ids),
            deliveries.c.status.in_(
                [DeliveryStatus.PENDING.value, DeliveryStatus.COLLECTING.value]
            ),
            deliveries.c.next_attempt_at <= now,
        )
        .values(
            status=DeliveryStatus.PENDING.value,
            next_attempt_at=lease_until,
            attempts=deliveries.c.attempts + 1,
        )
        .returning(deliveries.c.notification_id)
    )
    return [row.notification_id for row in rows]


async def items(conn: AsyncConnection, ids: Sequence[str]) -> dict[str, list[Item]]:
    found: dict[str, list[Item]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await conn.execute(
        select(delivery_items)
        .where(among(conn, delivery_items.c.notification_id, ids))
        .order_by(delivery_items.c.id)
    )
    for row in rows:
        found[row.notification_id].append(
            Item(row.source_event_id, Kind(row.kind), row.task_id, dict(row.facts), row.traceparent)
        )
    return found


async def names_for(
    conn: AsyncConnection, contents: Iterable[Item]
) -> tuple[dict[str, str], dict[str, str]]:
    """Task titles and department names the items refer to, in two queries for a batch."""
    task_ids: set[str] = set()
    department_ids: set[str] = set()
    for item in contents:
        if item.task_id and not item.facts.get("task_title"):
            task_ids.add(item.task_id)
        department_ids.update(item.facts.get("department_ids") or ())
    titles = await directory.task_titles(conn, sorted(task_ids)) if task_ids else {}
    names = await directory.department_names(conn, sorted(department_ids)) if department_ids else {}
    return titles, names


@dataclass(frozen=True)
class AttemptResult:
    notification_id: str
    recipient_id: str
    channel: Channel
    attempt: int
    at: datetime
    error: str | None  # None: delivered
    final: bool  # for failures: no more attempts
    retry_at: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


async def record(conn: AsyncConnection, results: Sequence[AttemptResult]) -> None:
    """Store each attempt as a dispatch record and move its delivery to its next state."""
    if not results:
        return
    await insert_rows(
        conn,
        dispatch_records,
        [
            {
                "notification_id": r.notification_id,
                "recipient_id": r.recipient_id,
                "channel": r.channel.value,
                "attempt": r.attempt,
                "at": r.at,
                "succeeded": r.succeeded,
                "error": r.error,
                "final": r.succeeded or r.final,
            }
            for r in results
        ],
    )
    sent = [r.notification_id for r in results if r.succeeded]
    if sent:
        await conn.execute(
            update(deliveries)
            .where(among(conn, deliveries.c.notification_id, sent))
            .values(status=DeliveryStatus.SENT.value, finished_at=results[0].at, last_error=None)
        )
    for r in results:
        if r.succeeded:
            continue
        values: dict[str, Any] = {"last_error": r.error}
        if r.final:
            values |= {"status": DeliveryStatus.FAILED.value, "finished_at": r.at}
        else:
            values |= {"next_attempt_at": r.retry_at or r.at}
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.notification_id == r.notification_id)
            .values(**values)
        )


async def add_dead_letter(
    conn: AsyncConnection, key: str, body: bytes, reason: str, source: str
) -> None:
    await conn.execute(
        dead_letters.insert().values(key=key, body=body, reason=reason, source=source)
    )


DEAD_LETTER_BATCH = 100


async def unpublished_dead_letters(
    conn: AsyncConnection, limit: int = DEAD_LETTER_BATCH
) -> list[Any]:
    rows = await conn.execute(
        select(dead_letters)
        .where(dead_letters.c.published_at.is_(None))
        .order_by(dead_letters.c.id)
        .limit(limit)
    )
    return list(rows)


async def mark_dead_letter_published(conn: AsyncConnection, row_id: int, at: datetime) -> None:
    await conn.execute(
        update(dead_letters).where(dead_letters.c.id == row_id).values(published_at=at)
    )
