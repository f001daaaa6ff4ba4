"""Composition root of the notifier: what differs from the one service skeleton
(`duban_common.service`): its senders, its delivery loop, its consumer's handler."""

from __future__ import annotations

import functools
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from duban_common.clock import Clock, SystemClock, clock_from_file_setting
from duban_common.db import make_engine
from duban_common.kafka import dead_letter
from duban_common.outbox import OutboxRelay
from duban_common.service import Service, service_app
from duban_contracts.vocabulary import Channel
from notifier.adapters import tables
from notifier.adapters.channels import InboxSender, RobotSender, Sender
from notifier.adapters.mail import MaildirSender, SmtpSender
from notifier.adapters.robot_limits import SharedRobotLimiter
from notifier.adapters.webhook_client import WebhookClient
from notifier.entrypoints.messaging import build_broker
from notifier.service_layer.delivery import DeliveryLoop
from notifier.service_layer.handlers import EventHandler
from notifier.settings import Settings

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


class NotifierService(Service):
    """Everything `python -m notifier` runs: the consumer queues deliveries, the delivery loop
    sends them, the relay publishes the dispatch records."""

    migrations = MIGRATIONS
    log_prefix = "notifier"

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        engine: AsyncEngine | None = None,
        senders: SenderFactory = default_senders,
        migrate: bool = True,
    ) -> None:
        self.clock = clock or clock_from_file_setting(settings.clock_file)
        engine = engine or make_engine(settings.database_url)
        self.http = WebhookClient(
            timeout=settings.webhook_timeout_seconds,
            max_connections=settings.webhook_concurrency,
        )
        self.handler = EventHandler(
            engine, settings, self.clock, on_urgent=lambda: self.delivery.wake()
        )
        broker = build_broker(settings, handler=self.handler)
        relay = OutboxRelay(
            engine, tables.outbox, broker, retention_seconds=settings.outbox_retention_seconds
        )
        self.senders = senders(settings, self.http)
        self.delivery = DeliveryLoop(
            engine,
            settings,
            self.clock,
            self.senders,
            # Robots count real minutes, even when the demo runs a simulated clock faster.
            limiter=SharedRobotLimiter(
                settings.robot_limit_per_minute,
                SystemClock().now,
                settings.robot_limit_window_seconds,
            ),
            publish_dead_letter=functools.partial(dead_letter, broker),
            on_recorded=relay.wake,
        )
        super().__init__(
            settings,
            engine=engine,
            broker=broker,
            relay=relay,
            loops=[self.delivery],
            migrate=migrate,
        )

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()
        await self.http.close()
        await self.engine.dispose()


def create_app(
    settings: Settings | None = None,
    service: NotifierService | None = None,
    *,
    freeze_heap: bool = False,
) -> FastAPI:
    """The notifier's app: health only; its lifespan runs the whole notifier."""
    service = service or NotifierService(settings or Settings())
    return service_app(
        service, freeze_heap=freeze_heap, title="督办 notifier", docs_url=None, redoc_url=None
    )
