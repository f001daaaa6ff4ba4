"""Composition root: the running notifier (consumer, delivery loop, outbox relay)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.clock import Clock, SystemClock, clock_from_file_setting
from duban_common.db import make_engine
from duban_common.kafka import dead_letter
from duban_common.logging import get_logger
from duban_common.migrations import upgrade
from duban_common.outbox import OutboxRelay
from duban_contracts.vocabulary import Channel
from notifier.adapters import tables
from notifier.adapters.channels import InboxSender, RobotSender, Sender
from notifier.adapters.mail import MaildirSender, SmtpSender
from notifier.adapters.webhook_client import WebhookClient
from notifier.domain.policies import RobotRateLimiter
from notifier.entrypoints.messaging import build_broker
from notifier.service_layer.delivery import DeliveryLoop
from notifier.service_layer.handlers import EventHandler
from notifier.settings import Settings

log = get_logger(__name__)

MIGRATIONS = "notifier.adapters.migrations"

SenderFactory = Callable[[Settings, WebhookClient], dict[Channel, Sender]]


def default_senders(settings: Settings, client: WebhookClient) -> dict[Channel, Sender]:
    """SMTP when a host is configured, else .eml files in the maildir; robots over HTTP."""
    email: Sender
    if settings.smtp_host:
        email = SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            use_tls=settings.smtp_tls,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout_seconds,
            pool_size=settings.smtp_pool_size,
        )
    else:
        email = MaildirSender(settings.maildir, settings.smtp_from)
    secret = settings.dingtalk_secret.get_secret_value() if settings.dingtalk_secret else None
    return {
        Channel.EMAIL: email,
        Channel.WECOM: RobotSender(Channel.WECOM, client),
        Channel.DINGTALK: RobotSender(Channel.DINGTALK, client, default_secret=secret),
        Channel.INBOX: InboxSender(),
    }


class NotifierService:
    """Everything `python -m notifier` runs, started and stopped as one."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
        senders: SenderFactory = default_senders,
        migrate: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock or clock_from_file_setting(settings.clock_file)
        self.engine = engine or make_engine(settings.database_url)
        self.migrate = migrate
        self.http = WebhookClient(
            timeout=settings.webhook_timeout_seconds,
            max_connections=settings.webhook_concurrency,
        )
        self.handler = EventHandler(
            self.engine, settings, self.clock, on_urgent=lambda: self.delivery.wake()
        )
        self.broker = build_broker(settings, handler=self.handler)
        self.relay = OutboxRelay(self.engine, tables.outbox, self.broker)
        self.senders = senders(settings, self.http)
        self.delivery = DeliveryLoop(
            self.engine,
            settings,
            self.clock,
            self.senders,
            # Robots count real minutes, even when the demo runs a simulated clock faster.
            limiter=RobotRateLimiter(settings.robot_limit_per_minute, SystemClock().now),
            publish_dead_letter=functools.partial(dead_letter, self.broker),
            on_recorded=self.relay.wake,
        )
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.started = False

    async def start(self) -> None:
        if self.migrate:
            await asyncio.to_thread(upgrade, self.settings.database_url, MIGRATIONS)
        await self.broker.start()
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.delivery.run(self._stop), name="notifier-delivery"),
            asyncio.create_task(self.relay.run(self._stop), name="notifier-outbox-relay"),
        ]
        self.started = True
        log.info("notifier_started", database=self.engine.url.render_as_string())

    async def stop(self) -> None:
        """Stop consuming, let the loops finish their pass (the relay still publishes), close."""
        self.started = False
        for subscriber in self.broker.subscribers:
            await subscriber.stop()
        self._stop.set()
        self.delivery.wake()
        self.relay.wake()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=30)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []
        await self.broker.stop()
        for sender in self.senders.values():
            await sender.close()
        await self.http.close()
        await self.engine.dispose()
        log.info("notifier_stopped")

    async def ready(self) -> bool:
        """Ready when started, its loops alive, and the database and the broker answering."""
        if not self.started or any(t.done() for t in self._tasks):
            return False
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return bool(await self.broker.ping(timeout=2.0))
        except Exception:
            return False

    async def __aenter__(self) -> NotifierService:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
