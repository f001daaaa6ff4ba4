"""The delivery loop: send due deliveries, record every attempt, retry, dead-letter.

One pass: (1) read due rows; hold non-urgent ones in quiet hours and robot messages over the
per-robot rate limit (postponed, not attempted); claim the rest with a lease, so a crash
mid-send retries them later; (2) render and send concurrently; (3) in one transaction store
each attempt as a dispatch record, move its delivery on (sent, retry later, or failed), and
append NotificationSent / NotificationFailed to the outbox; a final failure also queues a
dead letter. Dead letters are then published to `duban.deadletter` and marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from duban_common.clock import Clock
from duban_common.logging import get_logger
from duban_common.telemetry import context_from
from duban_common.uow import UnitOfWork
from duban_contracts import Envelope
from duban_contracts.events import NotificationFailed, NotificationSent
from duban_contracts.vocabulary import Channel
from notifier.adapters import directory, store, tables
from notifier.adapters.channels import DeliveryError, Sender, robot_id
from notifier.adapters.render import Rendered, Renderer
from notifier.adapters.robot_limits import SharedRobotLimiter
from notifier.domain.model import Recipient
from notifier.domain.notices import named_facts
from notifier.domain.policies import ROBOT_CHANNELS, quiet_until, retry_delay
from notifier.settings import Settings

log = get_logger(__name__)
tracer = trace.get_tracer("duban.notifier")

PRODUCER = "notifier"
MAX_BODY = 20_000

DeadLetterPublisher = Callable[[bytes, bytes, str, str], Awaitable[None]]


class DeliveryLoop:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        clock: Clock,
        senders: dict[Channel, Sender],
        *,
        renderer: Renderer | None = None,
        limiter: SharedRobotLimiter | None = None,
        publish_dead_letter: DeadLetterPublisher | None = None,
        on_recorded: Callable[[], None] = lambda: None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.senders = senders
        self.renderer = renderer or Renderer(settings.public_base_url)
        self.limiter = limiter or SharedRobotLimiter(
            settings.robot_limit_per_minute,
            lambda: self.clock.now(),
            settings.robot_limit_window_seconds,
        )
        self.publish_dead_letter = publish_dead_letter
        self.on_recorded = on_recorded  # wakes the outbox relay
        self.rand = rand
        self._wake = asyncio.Event()
        # Dead letters left by an earlier run are looked for once at start, then only after a
        # final failure: most passes have none and should not pay a query for them.
        self._dead_letters_waiting = True
        # Robot requests beyond the HTTP pool would only queue inside the client.
        self._gates = {
            channel: asyncio.Semaphore(
                settings.webhook_concurrency
                if channel in ROBOT_CHANNELS
                else settings.delivery_concurrency
            )
            for channel in Channel
        }

    def wake(self) -> None:
        self._wake.set()

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set. Database or broker trouble backs off and retries."""
        backoff = self.settings.delivery_poll_seconds
        while not stop.is_set():
            try:
                handled = await self.run_once()
                await self.flush_dead_letters()
                backoff = self.settings.delivery_poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery_loop_failed", error=repr(exc))
                handled = 0
                backoff = min(backoff * 2, 10.0)
            if handled >= self.settings.delivery_batch_size:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)

    async def run_once(self) -> int:
        """One pass over due deliveries; returns how many were looked at."""
        now = self.now()
        async with self.engine.begin() as conn:
            due = await store.due(conn, now, self.settings.delivery_batch_size)
            if not due:
                return 0
            people = await directory.recipients_by_id(conn, sorted({d.recipient_id for d in due}))
            ready: list[str] = []
            held: dict[datetime, list[str]] = {}
            for d in due:
                wait_until = await self._hold(conn, d, people.get(d.recipient_id), now)
                if wait_until is None:
                    ready.append(d.notification_id)
                else:
                    held.setdefault(wait_until, []).append(d.notification_id)
            for until, ids in held.items():
                await store.postpone(conn, ids, until)
            lease = now + timedelta(seconds=self.settings.delivery_lease_seconds)
            claimed = set(await store.claim(conn, ready, now, lease))
            contents = await store.items(conn, list(claimed))
            titles, departments = await store.names_for(
                conn, (item for found in contents.values() for item in found)
            )
        for found in contents.values():
            found[:] = [
                dataclasses.replace(
                    item, facts=named_facts(item.facts, item.task_id, titles, departments)
                )
                for item in found
            ]
        work = [d for d in due if d.notification_id in claimed]
        results = await asyncio.gather(
            *(
                self._attempt(d, people.get(d.recipient_id), contents[d.notification_id])
                for d in work
            )
        )
        await self._record([r for r in results])
        return len(due)

    async def _hold(
        self, conn: AsyncConnection, d: store.DueDelivery, person: Recipient | None, now: datetime
    ) -> datetime | None:
        """When a delivery must wait without an attempt: quiet hours, or its robot is full."""
        # The inbox pushes nothing to anyone's phone, so quiet hours do not hold it.
        if not d.urgent and d.channel is not Channel.INBOX:
            quiet_end = quiet_until(
                now, self.settings.quiet_hours_start, self.settings.quiet_hours_end
            )
            if quiet_end is not None:
                return quiet_end.astimezone(UTC)
        if d.channel in ROBOT_CHANNELS and person is not None:
            url = person.address(d.channel)
            if url:
                wait = await self.limiter.try_acquire(conn, robot_id(url))
                if wait > 0:
                    return now + timedelta(seconds=wait)
        return None

    async def _attempt(
        self, d: store.DueDelivery, person: Recipient | None, items: list[store.Item]
    ) -> tuple[store.AttemptResult, Rendered | None, list[store.Item]]:
        attempt = d.attempts + 1
        rendered: Rendered | None = None
        try:
            if person is None or not person.active:
                raise DeliveryError("收件人已停用或已从通讯录删除", permanent=True)
            rendered = self.renderer.render(person, items)
            async with self._gates[d.channel]:
                with self._delivery_span(d, items):
                    await self.senders[d.channel].send(person, rendered, d.notification_id)
            error: str | None = None
            permanent = False
        except DeliveryError as exc:
            error, permanent = exc.reason, exc.permanent
        except Exception as exc:  # a bug in a template or sender must not stop the loop
            log.exception("delivery_crashed", notification_id=d.notification_id)
            error, permanent = f"发送程序出错：{type(exc).__name__}: {exc}", False
        at = self.now()
        policy = self.settings.retry_policy(d.channel)
        final = error is not None and (permanent or attempt >= policy.max_attempts)
        retry_at = None
        if error is not None and not final:
            delay = retry_delay(attempt, policy.base_seconds, policy.max_seconds, self.rand)
            retry_at = at + timedelta(seconds=delay)
        result = store.AttemptResult(
            notification_id=d.notification_id,
            recipient_id=d.recipient_id,
            channel=d.channel,
            attempt=attempt,
            at=at,
            error=error,
            final=final,
            retry_at=retry_at,
        )
        if error is None:
            log.debug("delivered", notification_id=d.notification_id, channel=d.channel.value)
        else:
            log.warning(
                "delivery_failed",
                notification_id=d.notification_id,
                channel=d.channel.value,
                attempt=attempt,
                final=final,
                error=error,
            )
        return result, rendered, items

    async def _record(
        self, outcomes: Sequence[tuple[store.AttemptResult, Rendered | None, list[store.Item]]]
    ) -> None:
        if not outcomes:
            return
        envelopes = [self._dispatch_record(r, rendered, items) for r, rendered, items in outcomes]
        async with UnitOfWork(self.engine, tables.outbox, on_commit=self.on_recorded) as uow:
            await store.record(uow.conn, [r for r, _, _ in outcomes])
            uow.add_event(*envelopes)
            for (r, _, _), envelope in zip(outcomes, envelopes, strict=True):
                if r.final and not r.succeeded:
                    self._dead_letters_waiting = True
                    await store.add_dead_letter(
                        uow.conn,
                        key=envelope.key,
                        body=envelope.to_bytes(),
                        reason=(
                            f"{r.channel.label}通知发送失败（第{r.attempt}次尝试后放弃）：{r.error}"
                        ),
                        source=f"notifier:{r.notification_id}",
                    )

    def _dispatch_record(
        self, r: store.AttemptResult, rendered: Rendered | None, items: list[store.Item]
    ) -> Envelope:
        """送达记录 as an event, keyed by the task when it is about one task."""
        task_ids = tuple(dict.fromkeys(i.task_id for i in items if i.task_id))
        common = {
            "key": task_ids[0] if len(task_ids) == 1 else r.recipient_id,
            "notification_id": r.notification_id,
            "source_event_ids": tuple(dict.fromkeys(i.source_event_id for i in items)),
            "task_ids": task_ids,
            "recipient_id": r.recipient_id,
            "channel": r.channel,
            "attempt": r.attempt,
            "at": r.at,
        }
        if r.succeeded and rendered is not None:
            message: NotificationSent | NotificationFailed = NotificationSent(
                **common,
                subject=rendered.subject,
                body=rendered.body[:MAX_BODY] if r.channel is Channel.INBOX else None,
                link=rendered.link[:500],
            )
        else:
            message = NotificationFailed(**common, error=(r.error or "")[:MAX_BODY], final=r.final)
        traceparent = next((i.traceparent for i in items if i.traceparent), None)
        return Envelope.wrap(message, producer=PRODUCER, occurred_at=r.at, traceparent=traceparent)

    @staticmethod
    def _delivery_span(
        d: store.DueDelivery, items: list[store.Item]
    ) -> contextlib.AbstractContextManager[object]:
        """The send, as a span of the trace that asked for it (a digest: its first item's)."""
        traceparent = next((i.traceparent for i in items if i.traceparent), None)
        if traceparent is None:
            return contextlib.nullcontext()
        return tracer.start_as_current_span(
            f"deliver {d.channel.value}", context=context_from(traceparent)
        )

    async def flush_dead_letters(self) -> int:
        """Publish queued dead letters; a broker failure leaves them for the next pass."""
        if self.publish_dead_letter is None or not self._dead_letters_waiting:
            return 0
        async with self.engine.connect() as conn:
            rows = await store.unpublished_dead_letters(conn)
        for row in rows:
            await self.publish_dead_letter(row.body, row.key.encode(), row.reason, row.source)
            async with self.engine.begin() as conn:
                await store.mark_dead_letter_published(conn, row.id, self.now())
        # Only once every row went out: a failure above leaves the flag up for the next pass.
        self._dead_letters_waiting = len(rows) == store.DEAD_LETTER_BATCH
        return len(rows)
